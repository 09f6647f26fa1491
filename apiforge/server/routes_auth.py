"""Sign-in, personal API tokens and (for admins) users: the account routes of password mode."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from apiforge.api_models_auth import (
    CreateUserBody,
    LoginBody,
    LoginResult,
    Me,
    NewToken,
    TokenBody,
    TokenList,
    TokenOut,
    UserList,
    UserOut,
    UserPatch,
)
from apiforge.auth import accounts as acc
from apiforge.auth.middleware import SESSION_COOKIE, SESSION_SECRET_KEY
from apiforge.auth.principal import CurrentPrincipal, Principal
from apiforge.errors import ConflictError, Forbidden
from apiforge.server.errors import error_responses
from apiforge.server.state import AppServices, Services

router = APIRouter(prefix="/api")
TokenId = Annotated[str, Path(min_length=1, max_length=64, description="A token's id")]
UserId = Annotated[str, Path(min_length=1, max_length=64, description="A user's id")]


def _require_password_mode(services: AppServices, what: str) -> None:
    if services.settings.auth != "password":
        raise ConflictError(
            f"{what} exist only in password mode (APIFORGE_AUTH=password)", code="no_accounts"
        )


@router.post("/auth/login", responses=error_responses(400, 401, 409, 422))
async def login(
    body: LoginBody, request: Request, response: Response, services: Services
) -> LoginResult:
    _require_password_mode(services, "Sign-ins")
    client = request.client.host if request.client else "unknown"
    user, secret = await services.accounts.login(body.username, body.password, client)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(services.settings.session_hours * 3600),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return LoginResult(user=UserOut.of(user), csrf_token=services.accounts.csrf_token(secret))


@router.post("/auth/logout", status_code=204)
async def logout(request: Request, _principal: CurrentPrincipal, services: Services) -> Response:
    secret = getattr(request.state, SESSION_SECRET_KEY, None)
    if isinstance(secret, str):
        await services.accounts.logout(secret)
        services.guard.recheck()  # this session's open streams end now
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@router.get("/auth/me")
async def me(request: Request, principal: CurrentPrincipal, services: Services) -> Me:
    secret = getattr(request.state, SESSION_SECRET_KEY, None)
    csrf = services.accounts.csrf_token(secret) if isinstance(secret, str) else None
    return Me(
        id=principal.user_id,
        username=principal.username,
        is_admin=principal.is_admin,
        auth=services.settings.auth,
        via=principal.via,
        csrf_token=csrf,
    )


@router.post("/tokens", status_code=201, responses=error_responses(400, 409, 422))
async def create_token(
    body: TokenBody, principal: CurrentPrincipal, services: Services
) -> NewToken:
    _require_password_mode(services, "API tokens")
    async with services.db.transaction() as session:
        made = await acc.create_token(session, user_id=principal.user_id, name=body.name)
    return NewToken(id=made.id, name=body.name, token=made.secret)


@router.get("/tokens")
async def list_tokens(principal: CurrentPrincipal, services: Services) -> TokenList:
    async with services.db.read() as session:
        tokens = await acc.list_tokens(session, user_id=principal.user_id)
    return TokenList(tokens=[TokenOut.of(token) for token in tokens])


@router.delete("/tokens/{token_id}", status_code=204, responses=error_responses(404, 422))
async def revoke_token(
    token_id: TokenId, principal: CurrentPrincipal, services: Services
) -> Response:
    async with services.db.transaction() as session:
        await acc.revoke_token(session, user_id=principal.user_id, token_id=token_id)
    services.guard.recheck()  # this token's open streams end now
    return Response(status_code=204)


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only an admin can manage users", code="admin_only")


@router.post("/users", status_code=201, responses=error_responses(400, 403, 409, 422))
async def create_user(
    body: CreateUserBody, principal: CurrentPrincipal, services: Services
) -> UserOut:
    _require_admin(principal)
    user = await services.accounts.create_user(body.username, body.password, admin=body.admin)
    return UserOut.of(user)


@router.get("/users", responses=error_responses(403))
async def list_users(principal: CurrentPrincipal, services: Services) -> UserList:
    _require_admin(principal)
    async with services.db.read() as session:
        users = await acc.list_users(session)
    return UserList(users=[UserOut.of(user) for user in users])


@router.patch("/users/{user_id}", responses=error_responses(400, 403, 404, 409, 422))
async def update_user(
    user_id: UserId, body: UserPatch, principal: CurrentPrincipal, services: Services
) -> UserOut:
    """Disable a user (their sessions end, their tokens are refused) or enable them again."""
    _require_admin(principal)
    if user_id == principal.user_id and body.disabled:
        # The one admin locking themselves out would leave nobody to undo it.
        raise ConflictError("You cannot disable your own account", code="cannot_disable_self")
    user = await services.accounts.set_disabled(user_id, disabled=body.disabled)
    if body.disabled:
        services.guard.recheck()  # the user's open streams end now
    return UserOut.of(user)
