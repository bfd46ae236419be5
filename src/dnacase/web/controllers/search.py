"""Search runs: start one (blind, one family, one remains), watch its progress; JSON API beside
the pages, both calling :mod:`dnacase.services.search`.

A run started from the web executes as a background task after the response (its CPU work in a
worker thread or on the Dask cluster of ``DNACASE_DASK_SCHEDULER``); its progress is read back
from the database. Genotypes are the current profile versions in the database
(:func:`default_source`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.background_tasks import BackgroundTask
from litestar.params import JSONBody
from litestar.response import Redirect, Response, Template

from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.services import search as service
from dnacase.services.errors import DomainError, ValidationFailed
from dnacase.services.search_inputs import DatabaseProfileSource, ProfileSource
from dnacase.settings import Settings
from dnacase.web.controllers import NavItem
from dnacase.web.deps import AuthUser, DbSession, FromPath
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_page, page, redirect

RUN = requires_roles("lab", "reviewer", "admin")


def default_source(settings: Settings) -> ProfileSource:
    """The profile source of the web app: the current profile versions in the database."""
    return DatabaseProfileSource()


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _params(values: dict[str, Any]) -> service.SearchParameters:
    def num(name: str, default: float) -> float:
        try:
            v = values.get(name)
            return float(v) if v not in (None, "") else default
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(_("Invalid search parameters."),
                                   field_errors={name: _("Enter a number.")}) from exc

    prior = values.get("prior_value")
    mode = str(values.get("prior_mode") or "")
    if mode not in service.PRIOR_MODES:
        mode = "fixed" if prior not in (None, "") else "flat"
    d = service.SearchParameters()
    rate = values.get("mutation_rate")
    return service.SearchParameters(
        frequency_table=str(values.get("frequency_table") or d.frequency_table),
        mutation_model=str(values.get("mutation_model") or d.mutation_model),
        mutation_rate=None if rate in (None, "") else num("mutation_rate", 0.0),
        mutation_rate2=num("mutation_rate2", d.mutation_rate2),
        theta=num("theta", d.theta),
        lr_threshold=num("lr_threshold", d.lr_threshold),
        posterior_threshold=num("posterior_threshold", d.posterior_threshold),
        prior_mode=mode,
        prior_value=num("prior_value", 0.0) if (prior not in (None, "")
                                                and mode == "fixed") else None,
        lineage_filter=_flag(values.get("lineage_filter")),
        prior_none=num("prior_none", d.prior_none),
    )


async def _tables(db_session: Any) -> list[dict[str, str]]:
    """Options of the frequency-table select: shipped and imported tables, default first."""
    from dnacase.services import frequencies

    return [{"value": t.id, "label": f"{t.id}: {t.population}"
             + (f" (N = {t.n_individuals})" if t.n_individuals else "")
             + (f" [{_('imported')}]" if t.origin == "imported" else "")}
            for t in await frequencies.list_tables(db_session)]


def _flag(value: Any) -> bool:
    """A checkbox or JSON boolean: true for ``on``/``true``/``1``/``yes`` and True."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in ("on", "true", "1", "yes")


async def _start(request: Request[Any, Any, Any], db_session: Any, user: Any,
                 values: dict[str, Any]) -> tuple[Any, BackgroundTask]:
    settings: Settings = request.app.state["settings"]
    run = await service.create_run(
        db_session, _params(values), actor=user,
        missing_person_id=_int(values.get("family_id")), remains_id=_int(values.get("remains_id")),
        executor=settings.dask_scheduler or "local",
        incremental=_flag(values.get("incremental")))
    await db_session.commit()
    return run, background_run(request, int(run.id))  # type: ignore[arg-type]


def background_run(request: Request[Any, Any, Any], run_id: int) -> BackgroundTask:
    """Execute (or resume) run ``run_id`` after the response, off the event loop."""
    settings: Settings = request.app.state["settings"]
    source = default_source(settings)
    return BackgroundTask(
        service.execute_run, request.app.state["sessionmaker"], run_id, source,
        cache_dir=settings.var_dir / "search_tables", dask_scheduler=settings.dask_scheduler)


_DEFAULTS = service.SearchParameters()


@dataclass
class RunWrite:
    family_id: int | None = None
    remains_id: int | None = None
    frequency_table: str = _DEFAULTS.frequency_table
    mutation_model: str = _DEFAULTS.mutation_model
    mutation_rate: float | None = None  # None: the per-locus, per-sex rates
    mutation_rate2: float = _DEFAULTS.mutation_rate2
    theta: float = _DEFAULTS.theta  # only 0 is computed (docs/evidence-model.md)
    lr_threshold: float = _DEFAULTS.lr_threshold
    posterior_threshold: float = _DEFAULTS.posterior_threshold
    prior_value: float | None = None
    prior_mode: str | None = None
    incremental: bool = False
    lineage_filter: bool = _DEFAULTS.lineage_filter
    prior_none: float = _DEFAULTS.prior_none


class SearchPages(Controller):
    path = "/search"
    include_in_schema = False

    @get("/", name="search_index", guards=[RUN])
    async def index(self, db_session: DbSession) -> Template:
        runs = await service.list_runs(db_session, limit=30)
        return form_page("search/index.html", runs=runs, form={"lineage_filter": ["on"]},
                         tables=await _tables(db_session), defaults=_DEFAULTS)

    @post("/runs", name="search_start", guards=[RUN])
    async def start(self, request: Request[Any, Any, Any], db_session: DbSession,
                    user: AuthUser) -> Template | Redirect:
        values = {k: v for k, v in (await form_data(request)).items() if k != "_csrf_token"}
        try:
            run, task = await _start(request, db_session, user, values)
        except DomainError as exc:
            runs = await service.list_runs(db_session, limit=30)
            return form_page("search/index.html", runs=runs, form=values, error=exc,
                             tables=await _tables(db_session), defaults=_DEFAULTS)
        flash(request, _("Search run %(id)d started.", id=run.id))
        resp = redirect(f"/search/runs/{run.id}")
        resp.background = task
        return resp

    @get("/runs/{run_id:int}", name="search_run", guards=[RUN])
    async def run(self, db_session: DbSession, run_id: FromPath[int]) -> Template:
        run = await service.get_run(db_session, run_id)
        from dnacase.services import evidence_model

        recorded = (run.notes or {}).get("evidence_model")
        return page("search/run.html", run=run, progress=service.run_progress(run),
                    model=evidence_model.summary(recorded) if recorded else None,
                    shipped_table=evidence_model.is_shipped(run.frequency_table))

    @post("/runs/{run_id:int}/execute", name="search_execute", guards=[RUN])
    async def execute(self, request: Request[Any, Any, Any], db_session: DbSession,
                      run_id: FromPath[int]) -> Redirect:
        """Execute a queued run (e.g. the incremental run queued by a profile import) or
        resume an interrupted one, in the background."""
        run = await service.get_run(db_session, run_id)
        resp = redirect(f"/search/runs/{run.id}")
        if run.status in ("queued", "interrupted"):
            flash(request, _("Search run %(id)d started.", id=run.id))
            resp.background = background_run(request, int(run.id))  # type: ignore[arg-type]
        return resp


class SearchApi(Controller):
    path = "/api/search"
    tags = ["search"]  # noqa: RUF012

    @get("/runs", guards=[RUN], summary="Latest search runs with their progress")
    async def list_runs(self, db_session: DbSession) -> list[dict[str, Any]]:
        return [service.run_progress(r) for r in await service.list_runs(db_session)]

    @get("/runs/{run_id:int}", guards=[RUN], summary="Progress of a search run")
    async def get_run(self, db_session: DbSession, run_id: FromPath[int]) -> dict[str, Any]:
        run = await service.get_run(db_session, run_id)
        return {**service.run_progress(run), "parameters": run.parameters,
                "engine_version": run.engine_version, "software_version": run.software_version,
                "profile_versions": run.profile_versions, "prior": run.prior_value,
                "prior_mode": run.prior_mode}

    @post("/runs", guards=[RUN], summary="Start a search run (blind, one family or one remains)",
          status_code=202)
    async def start(self, request: Request[Any, Any, Any], db_session: DbSession,
                    user: AuthUser, data: JSONBody[RunWrite]) -> Response[dict[str, Any]]:
        run, task = await _start(request, db_session, user, {
            k: v for k, v in data.__dict__.items()})
        return Response(service.run_progress(run), status_code=202, background=task)

    @post("/runs/{run_id:int}/execute", guards=[RUN], status_code=202,
          summary="Execute a queued run (e.g. queued by a profile import) or resume one")
    async def execute(self, request: Request[Any, Any, Any], db_session: DbSession,
                      run_id: FromPath[int]) -> Response[dict[str, Any]]:
        run = await service.get_run(db_session, run_id)
        if run.status not in ("queued", "interrupted"):
            return Response(service.run_progress(run), status_code=200)
        return Response(service.run_progress(run), status_code=202,
                        background=background_run(request, int(run.id)))  # type: ignore[arg-type]


ROUTE_HANDLERS = [SearchPages, SearchApi]
NAV_ITEMS = [NavItem(N_("Search"), "/search/", ("lab", "reviewer", "admin"),
                     N_("Search every remains profile against every family"), order=60)]
