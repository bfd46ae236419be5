"""Lab result import: upload -> validation report (nothing written) -> commit (CSRF).

Both sides call :mod:`dnacase.services.profile_import`. Between the two steps the uploaded file
waits in the staging directory (``<var dir>/staging/profiles/<sha256>.bin``), never in the
database; the commit validates it again. Lab users and admins import; reviewers read imports.

JSON API (multipart forms, CSRF header ``x-csrftoken``)::

    POST /api/imports/profiles/validate   file, lab, [format, typing_kit, purpose]
         -> the report (+ ``token`` for the commit)
    POST /api/imports/profiles/commit     file or token, lab, [reason, overrides (JSON object
         {barcode: reason}), format, typing_kit, purpose, frequency_table] -> the report
    GET  /api/imports/profiles             recent imports
    GET  /api/imports/profiles/{id}        one import and the profiles it wrote
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.background_tasks import BackgroundTask
from litestar.datastructures import UploadFile
from litestar.response import Redirect, Template

from dnacase.formats import PARSERS
from dnacase.i18n import N_
from dnacase.i18n import gettext as _
from dnacase.models.profiles import ProfileImport
from dnacase.services import profile_import as service
from dnacase.services import profiles as profiles_service
from dnacase.services.errors import DomainError, ValidationFailed
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.controllers.search import background_run
from dnacase.web.deps import AuthUser, DbSession, FromPath
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, page, redirect

IMPORT = requires_roles("lab", "admin")
READ = requires_roles("lab", "reviewer", "admin")
MAX_BODY = service.MAX_BYTES + 4 * 1024 * 1024
REPORT_ROWS = 1000

FORMAT_LABELS = {
    "genemapper": N_("GeneMapper ID-X genotypes table"),
    "wide_table": N_("Wide genotype table (CSV)"),
    "familias_case": N_("Familias case import"),
    "ystr_table": N_("Y-STR haplotype table"),
    "codis_cmf": N_("CODIS CMF XML"),
    "empop": N_("mtDNA (EMPOP)"),
    "haplogrep": N_("mtDNA (HaploGrep)"),
    "vcf": N_("SNP panel (VCF)"),
    "dnacase_json": N_("dnacase JSON profiles"),
}


def format_options() -> list[dict[str, str]]:
    return [{"value": "", "label": _("Detect from the file")}] + [
        {"value": f, "label": _(FORMAT_LABELS.get(f, f))} for f in PARSERS]


async def _upload(form: Any) -> tuple[str, bytes] | None:
    item = form.get("file")
    if isinstance(item, UploadFile) and item.filename:
        return item.filename, await item.read()
    return None


def _options(form: Any) -> dict[str, Any]:
    purpose = str(form.get("purpose") or "profiles")
    return {"lab": str(form.get("lab") or ""), "format": str(form.get("format") or "") or None,
            "typing_kit": str(form.get("typing_kit") or "") or None,
            "purpose": purpose if purpose in service.PURPOSES else "profiles"}


def _form_values(form: Any) -> dict[str, str]:
    return {k: str(form.get(k) or "") for k in ("lab", "format", "typing_kit", "purpose",
                                                  "reason")}


def _html_overrides(form: Any) -> dict[str, str]:
    return {k.removeprefix("override:"): str(v) for k, v in form.items()
            if k.startswith("override:") and str(v).strip()}


async def _recent(db_session: Any) -> list[ProfileImport]:
    return await profiles_service.list_imports(db_session, limit=20)


class ImportPages(Controller):
    path = "/imports/profiles"
    include_in_schema = False

    @get("/", name="imports_index", guards=[READ])
    async def index(self, db_session: DbSession) -> Template:
        return page("imports/index.html", form={"purpose": "profiles"}, errors={},
                    error_message=None, formats=format_options(),
                    imports=await _recent(db_session))

    @post("/validate", name="imports_validate", guards=[IMPORT],
          request_max_body_size=MAX_BODY)
    async def validate(self, request: Request[Any, Any, Any], db_session: DbSession,
                       user: AuthUser) -> Template:
        form = await form_data(request)
        values = _form_values(form)
        upload = await _upload(form)
        if upload is None:
            return page("imports/index.html", form=values, errors={"file": _("Choose a file.")},
                        error_message=_("Choose the lab's result file."),
                        formats=format_options(), imports=await _recent(db_session),
                        status_code=400)
        name, data = upload
        try:
            report = await service.validate_import(db_session, data, name, **_options(form))
        except DomainError as exc:
            return page("imports/index.html", form=values, errors=exc.field_errors,
                        error_message=exc.message, formats=format_options(),
                        imports=await _recent(db_session), status_code=exc.status_code)
        settings = request.app.state.settings
        token = service.stage_upload(settings.var_dir, data, name) if report.ok else ""
        return page("imports/report.html", report=report, token=token, form=values,
                    error_message=None, max_rows=REPORT_ROWS,
                    status_code=200 if report.ok else 422)

    @post("/commit", name="imports_commit", guards=[IMPORT])
    async def commit(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser) -> Template | Redirect:
        form = await form_data(request)
        values = _form_values(form)
        settings = request.app.state.settings
        token = str(form.get("token") or "")
        data, name = service.load_staged(settings.var_dir, token)
        overrides = _html_overrides(form)
        try:
            report = await service.commit_import(
                db_session, data, name, actor=user, meta=request_meta(request),
                overrides=overrides, reason=values["reason"] or None, **_options(form))
        except ValidationFailed as exc:
            report = await service.validate_import(db_session, data, name, overrides=overrides,
                                                   **_options(form))
            return page("imports/report.html", report=report, token=token, form=values,
                        error_message=exc.message, errors=exc.field_errors,
                        max_rows=REPORT_ROWS, status_code=400)
        service.discard_staged(settings.var_dir, token)
        if report.already is not None:
            flash(request, _("This file was already imported (import #%(id)s); nothing "
                             "changed.", id=report.already.id), "info")
            return redirect(f"/imports/profiles/{report.already.id}")
        c = report.counts()
        flash(request, _("Imported: %(new)d new profiles, %(v)d new versions, %(u)d unchanged, "
                         "%(h)d held for review.", new=c["new"], v=c["new_version"],
                         u=c["unchanged"], h=c["held"]))
        resp = redirect(f"/imports/profiles/{report.import_id}")
        resp.background = await _search_new_profiles(request, db_session, report)
        return resp

    @get("/{import_id:int}", name="imports_detail", guards=[READ])
    async def detail(self, db_session: DbSession, import_id: FromPath[int]) -> Template:
        imp = await profiles_service.get_import(db_session, import_id)
        f = await service.get_import_file(db_session, import_id)
        rows = await profiles_service.import_profiles(db_session, import_id)
        return page("imports/detail.html", imp=imp, file=f, rows=rows)

    @get("/{import_id:int}/file", name="imports_file", guards=[IMPORT])
    async def raw_file(self, db_session: DbSession, import_id: FromPath[int]) -> Response[bytes]:
        f = await service.get_import_file(db_session, import_id)
        safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in f.filename)
        return Response(content=f.content, media_type="application/octet-stream",
                        headers={"content-disposition": f'attachment; filename="{safe}"',
                                 "x-sha256": f.sha256})


async def _search_new_profiles(request: Request[Any, Any, Any], db_session: Any,
                               report: Any) -> BackgroundTask | None:
    """New profiles trigger an incremental search of just what changed: the commit queued the run
    (``report.search_run_id``); commit the request's transaction now so the run can see it, and
    execute the run after the response, off the event loop (as a run started from the search
    page). ``None`` when the import queued nothing."""
    if report.search_run_id is None:
        return None
    await db_session.commit()
    return background_run(request, int(report.search_run_id))


@dataclass
class ImportRead:
    id: int
    file_id: int
    purpose: str
    lab: str
    reason: str
    n_samples: int
    n_new: int
    n_versions: int
    n_unchanged: int
    n_flagged: int
    n_held: int
    by: str
    at: str
    profiles: list[dict[str, Any]] | None = None

    @classmethod
    def of(cls, imp: ProfileImport, profiles: list[dict[str, Any]] | None = None) -> ImportRead:
        assert imp.id is not None
        return cls(imp.id, imp.file_id, imp.purpose, imp.lab, imp.reason, imp.n_samples,
                   imp.n_new, imp.n_versions, imp.n_unchanged, imp.n_flagged, imp.n_held,
                   imp.actor_username, imp.at.isoformat(), profiles)


def _api_overrides(form: Any) -> dict[str, str]:
    raw = str(form.get("overrides") or "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise ValidationFailed(_("overrides must be a JSON object {barcode: reason}."),
                               field_errors={"overrides": _("Invalid JSON object.")})
    return {str(k): str(v) for k, v in value.items()}


class ImportApi(Controller):
    path = "/api/imports/profiles"
    tags = ["lab import"]  # noqa: RUF012

    @post("/validate", guards=[IMPORT], request_max_body_size=MAX_BODY, status_code=200,
          summary="Validate a lab result file (nothing written)")
    async def validate(self, request: Request[Any, Any, Any], db_session: DbSession
                       ) -> dict[str, Any]:
        """Multipart form: ``file``, ``lab``, optional ``format``, ``typing_kit``, ``purpose``
        (``profiles`` or ``elimination``), ``overrides``. Returns the report with every error
        and warning by line, sample and locus; ``token`` identifies the staged file for
        ``commit`` (empty when the file is refused)."""
        form = await form_data(request)
        upload = await _upload(form)
        if upload is None:
            raise ValidationFailed(_("Choose the lab's result file."),
                                   field_errors={"file": _("Choose a file.")})
        name, data = upload
        report = await service.validate_import(db_session, data, name,
                                               overrides=_api_overrides(form), **_options(form))
        body = report.to_dict()
        body["token"] = (service.stage_upload(request.app.state.settings.var_dir, data, name)
                         if report.ok else "")
        return body

    @post("/commit", guards=[IMPORT], request_max_body_size=MAX_BODY, status_code=201,
          summary="Commit a lab result file (all-or-nothing)")
    async def commit(self, request: Request[Any, Any, Any], db_session: DbSession,
                     user: AuthUser) -> Response[dict[str, Any]]:
        """Multipart form: ``file`` (or ``token`` from ``validate``), ``lab``, optional
        ``reason`` (required for re-issued profiles), ``overrides`` (JSON object
        ``{barcode: reason}``), ``format``, ``typing_kit``, ``purpose``, ``frequency_table``.
        A refused file gives 400 with ``details.issues``; a file imported before returns its
        report with ``already_imported`` and changes nothing."""
        form = await form_data(request)
        settings = request.app.state.settings
        upload = await _upload(form)
        token = str(form.get("token") or "")
        if upload is not None:
            name, data = upload
        elif token:
            data, name = service.load_staged(settings.var_dir, token)
        else:
            raise ValidationFailed(_("Send the file or the token of a validated upload."),
                                   field_errors={"file": _("Choose a file.")})
        report = await service.commit_import(
            db_session, data, name, actor=user, meta=request_meta(request),
            overrides=_api_overrides(form), reason=str(form.get("reason") or "") or None,
            frequency_table=str(form.get("frequency_table") or "") or None, **_options(form))
        if token:
            service.discard_staged(settings.var_dir, token)
        return Response(report.to_dict(), status_code=201,
                        background=await _search_new_profiles(request, db_session, report))

    @get("/", guards=[READ], summary="Recent lab imports")
    async def list_imports(self, db_session: DbSession) -> list[ImportRead]:
        return [ImportRead.of(i) for i in await profiles_service.list_imports(db_session)]

    @get("/{import_id:int}", guards=[READ], summary="One import and the profiles it wrote")
    async def get_import(self, db_session: DbSession, import_id: FromPath[int]) -> ImportRead:
        imp = await profiles_service.get_import(db_session, import_id)
        rows = await profiles_service.import_profiles(db_session, import_id)
        return ImportRead.of(imp, [
            {"profile_id": p.id, "barcode": b, "marker_type": p.marker_type,
             "version": p.version, "status": p.status, "single_source": p.single_source}
            for p, b in rows])


NAV_ITEMS = [
    NavItem(N_("Lab results"), "/imports/profiles", roles=("lab", "admin"),
            description=N_("Import the laboratories' result files: check, then commit."),
            order=400),
]

ROUTE_HANDLERS: list[Any] = [ImportPages, ImportApi]
