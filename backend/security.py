"""Bearer-token authorisation (the bot's token and the staff machine token, compared in constant time), and the
security headers of the staff page."""
from __future__ import annotations

from typing import Awaitable, Callable, Dict, List, Optional, Tuple

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from backend.errors import ApiError
from backend.privacy import tokens_equal

BOT = "bot"
STAFF = "staff"
# The audit actor of a change made with BACKEND_STAFF_TOKEN: the machine credential names no person.
STAFF_TOKEN_ACTOR = "staff-token"
ROLES_ATTR = "_backend_roles"
STAFF_PREFIX = "/staff"
# The staff page loads nothing but its own stylesheet and the applicant's photo, posts only to itself, is never framed.
STAFF_HEADERS: Tuple[Tuple[bytes, bytes], ...] = (
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                                 b"frame-ancestors 'none'; base-uri 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),  # Chromium then sends the Origin the CSRF check reads
)
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearerToken",
    description="REISSUE_BACKEND_TOKEN（机器人）或 BACKEND_STAFF_TOKEN（工作人员）",
)


def roles(*allowed: str) -> Callable:
    """Decorator: the endpoint accepts tokens of these roles only."""

    def mark(func: Callable) -> Callable:
        """Record the allowed roles on the endpoint function."""
        setattr(func, ROLES_ATTR, tuple(allowed))
        return func

    return mark


def role_of(token: str, bot_token: str, staff_token: str) -> Optional[str]:
    """Which role a presented token belongs to, or None."""
    is_staff = tokens_equal(token, staff_token)
    is_bot = tokens_equal(token, bot_token)
    if is_staff:
        return STAFF
    if is_bot:
        return BOT
    return None


def bearer_token(header: str) -> str:
    """The token of an `Authorization: Bearer <token>` header, or ''."""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def unauthorized() -> ApiError:
    """The 401 error."""
    return ApiError(401, "unauthorized", "缺少有效的访问令牌，请先登录或检查配置。", headers={"WWW-Authenticate": "Bearer"})


def forbidden() -> ApiError:
    """The 403 error."""
    return ApiError(403, "forbidden", "这个令牌没有权限执行此操作。")


def check_roles(request: Request, allowed: Tuple[str, ...]) -> Optional[ApiError]:
    """None when the request carries a token of an allowed role; otherwise the 401/403 error."""
    settings = request.app.state.settings
    token = bearer_token(request.headers.get("authorization", ""))
    role = role_of(token, settings.backend_token, settings.staff_token) if token else None
    if role is None:
        return unauthorized()
    if role not in allowed:
        return forbidden()
    request.state.role = role
    return None


def auth_error_for(request: Request) -> Optional[ApiError]:
    """The auth error for the matched endpoint (used before reporting a malformed request)."""
    allowed = getattr(request.scope.get("endpoint"), ROLES_ATTR, None)
    if not allowed:
        return None
    return check_roles(request, allowed)


def authorize(
    request: Request, _credentials: Optional[HTTPAuthorizationCredentials] = Depends(bearer_scheme)
) -> str:
    """Dependency: enforce the roles the endpoint was marked with; returns the caller's role."""
    allowed = getattr(request.scope.get("endpoint"), ROLES_ATTR, ())
    error = check_roles(request, allowed)
    if error is not None:
        raise error
    return request.state.role


class StaffPageHeaders:
    """ASGI middleware: every response under /staff (pages, redirects, errors, photos) gets STAFF_HEADERS."""

    def __init__(self, app: Callable) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Dict, receive: Callable[[], Awaitable[Dict]],
                       send: Callable[[Dict], Awaitable[None]]) -> None:
        """Add the headers to the start of a /staff response."""
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/")):
            await self.app(scope, receive, send)
            return

        async def send_with_headers(event: Dict) -> None:
            """Replace any same-named header by ours on the response start."""
            if event["type"] == "http.response.start":
                names = {name for name, _ in STAFF_HEADERS}
                headers: List[Tuple[bytes, bytes]] = [h for h in event.get("headers", []) if h[0].lower() not in names]
                event = {**event, "headers": headers + list(STAFF_HEADERS)}
            await send(event)

        await self.app(scope, receive, send_with_headers)
