"""User administration (admin only): HTML pages and JSON API over :mod:`dnacase.services.users`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from litestar import Controller, Request, get, patch, post
from litestar.params import JSONBody
from litestar.response import Redirect, Template

from dnacase.i18n import LOCALE_NAMES, LOCALES, N_
from dnacase.i18n import gettext as _
from dnacase.models.users import ROLES, User
from dnacase.services import users as users_service
from dnacase.services.errors import DomainError
from dnacase.web.auth import request_meta
from dnacase.web.controllers import NavItem
from dnacase.web.controllers.home import role_label
from dnacase.web.deps import AuthUser, DbSession, FromPath
from dnacase.web.guards import requires_roles
from dnacase.web.responses import flash, form_data, form_dict, form_page, page, redirect

ADMIN = requires_roles("admin")


def _locale_choices() -> list[dict[str, str]]:
    return [{"value": c, "label": LOCALE_NAMES[c]} for c in LOCALES]


def _role_choices() -> list[dict[str, str]]:
    return [{"value": r, "label": role_label(r)} for r in ROLES]


class UserPages(Controller):
    path = "/users"
    guards = [ADMIN]  # noqa: RUF012
    include_in_schema = False

    @get("/", name="users_index")
    async def index(self, db_session: DbSession) -> Template:
        return page("users/index.html", users=await users_service.list_users(db_session))

    @get("/new", name="users_new")
    async def new(self) -> Template:
        return form_page(
            "users/form.html",
            form={"roles": [], "locale": "vi"},
            roles=_role_choices(),
            locales=_locale_choices(),
            target=None,
        )

    @post("/", name="users_create")
    async def create(
        self, request: Request, db_session: DbSession, user: AuthUser
    ) -> Template | Redirect:
        form = await form_data(request)
        values = form_dict(form, "roles")
        try:
            created = await users_service.create_user(
                db_session,
                username=values.get("username") or "",
                display_name=values.get("display_name") or "",
                password=values.get("password") or "",
                roles=values["roles"],
                locale=values.get("locale") or "vi",
                email=values.get("email"),
                actor=user,
                meta=request_meta(request),
            )
        except DomainError as exc:
            values.pop("password", None)
            return form_page(
                "users/form.html",
                form=values,
                error=exc,
                roles=_role_choices(),
                locales=_locale_choices(),
                target=None,
            )
        flash(request, _("User %(u)s created.", u=created.username))
        return redirect(f"/users/{created.id}")

    @get("/{user_id:int}", name="users_edit")
    async def edit(self, db_session: DbSession, user_id: FromPath[int]) -> Template:
        target = await users_service.get_user(db_session, user_id)
        return form_page(
            "users/form.html",
            form=_form_values(target),
            roles=_role_choices(),
            locales=_locale_choices(),
            target=target,
        )

    @post("/{user_id:int}", name="users_update")
    async def update(
        self,
        request: Request,
        db_session: DbSession,
        user: AuthUser,
        user_id: FromPath[int],
    ) -> Template | Redirect:
        form = await form_data(request)
        values = form_dict(form, "roles")
        target = await users_service.get_user(db_session, user_id)
        try:
            await users_service.update_user(
                db_session,
                user_id,
                display_name=values.get("display_name") or "",
                roles=values["roles"],
                is_active=values.get("is_active") in ("on", "1", "true"),
                locale=values.get("locale") or target.locale,
                email=values.get("email") or "",
                actor=user,
                meta=request_meta(request),
            )
        except DomainError as exc:
            values["username"] = target.username
            return form_page(
                "users/form.html",
                form=values,
                error=exc,
                roles=_role_choices(),
                locales=_locale_choices(),
                target=target,
            )
        flash(request, _("Changes saved."))
        return redirect(f"/users/{user_id}")

    @post("/{user_id:int}/password", name="users_password")
    async def set_password(
        self,
        request: Request,
        db_session: DbSession,
        user: AuthUser,
        user_id: FromPath[int],
    ) -> Template | Redirect:
        form = await form_data(request)
        target = await users_service.get_user(db_session, user_id)
        try:
            await users_service.set_password(
                db_session,
                user_id,
                form.get("new_password") or "",
                actor=user,
                meta=request_meta(request),
            )
        except DomainError as exc:
            return form_page(
                "users/form.html",
                form=_form_values(target),
                error=exc,
                roles=_role_choices(),
                locales=_locale_choices(),
                target=target,
            )
        flash(request, _("Password changed."))
        return redirect(f"/users/{user_id}")


def _form_values(u: User) -> dict[str, Any]:
    return {
        "username": u.username,
        "display_name": u.display_name,
        "email": u.email or "",
        "roles": sorted(u.role_names),
        "locale": u.locale,
        "is_active": "on" if u.is_active else "",
    }


# ----------------------------------------------------------------------------- JSON API


@dataclass
class UserRead:
    id: int
    username: str
    display_name: str
    email: str | None
    roles: list[str]
    locale: str
    is_active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


@dataclass
class UserCreate:
    username: str
    display_name: str
    password: str
    roles: list[str]
    locale: str = "vi"
    email: str | None = None


@dataclass
class UserUpdate:
    display_name: str | None = None
    roles: list[str] | None = None
    is_active: bool | None = None
    locale: str | None = None
    email: str | None = None
    password: str | None = field(default=None, metadata={"description": "new password"})


def to_read(u: User) -> UserRead:
    assert u.id is not None
    return UserRead(
        id=u.id,
        username=u.username,
        display_name=u.display_name,
        email=u.email,
        roles=sorted(u.role_names),
        locale=u.locale,
        is_active=u.is_active,
        created_at=u.created_at,
        last_login_at=u.last_login_at,
    )


class UserApi(Controller):
    path = "/api/users"
    guards = [ADMIN]  # noqa: RUF012
    tags = ["users"]  # noqa: RUF012

    @get("/", summary="List users")
    async def list_users(self, db_session: DbSession) -> list[UserRead]:
        return [to_read(u) for u in await users_service.list_users(db_session)]

    @post("/", summary="Create a user")
    async def create_user(
        self,
        request: Request,
        db_session: DbSession,
        user: AuthUser,
        data: JSONBody[UserCreate],
    ) -> UserRead:
        created = await users_service.create_user(
            db_session,
            username=data.username,
            display_name=data.display_name,
            password=data.password,
            roles=data.roles,
            locale=data.locale,
            email=data.email,
            actor=user,
            meta=request_meta(request),
        )
        return to_read(created)

    @get("/{user_id:int}", summary="Get a user")
    async def get_user(self, db_session: DbSession, user_id: FromPath[int]) -> UserRead:
        return to_read(await users_service.get_user(db_session, user_id))

    @patch("/{user_id:int}", summary="Change a user")
    async def update_user(
        self,
        request: Request,
        db_session: DbSession,
        user: AuthUser,
        user_id: FromPath[int],
        data: JSONBody[UserUpdate],
    ) -> UserRead:
        meta = request_meta(request)
        updated = await users_service.update_user(
            db_session,
            user_id,
            display_name=data.display_name,
            roles=data.roles,
            is_active=data.is_active,
            locale=data.locale,
            email=data.email,
            actor=user,
            meta=meta,
        )
        if data.password is not None:
            updated = await users_service.set_password(
                db_session, user_id, data.password, actor=user, meta=meta
            )
        return to_read(updated)


NAV_ITEMS = [
    NavItem(
        N_("Users"),
        "/users",
        roles=("admin",),
        description=N_("Accounts, roles and passwords."),
        order=900,
    ),
]

ROUTE_HANDLERS: list[Any] = [UserPages, UserApi]
