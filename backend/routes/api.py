"""The JSON API under /api/v1 and /healthz."""
from __future__ import annotations

from typing import Any, Dict, Optional

from fastapi import APIRouter, Depends, File, Header, Path, Query, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from typing_extensions import Literal

from backend import service
from backend.errors import ApiError
from backend.limits import PHOTO_LIMIT
from backend.privacy import reencode_photo
from backend.schemas import (
    SATISFACTION,
    ApplicationAdmin,
    ApplicationCreated,
    ApplicationIn,
    ApplicationList,
    ApplicationProgress,
    ErrorBody,
    FeedbackCreated,
    FeedbackIn,
    FeedbackList,
    Health,
    PhotoCreated,
    StatusChange,
    UnansweredCreated,
    UnansweredIn,
    UnansweredList,
)
from backend.security import BOT, STAFF, STAFF_TOKEN_ACTOR, auth_error_for, authorize, roles
from backend.throttle import PROGRESS_GUESSES, admit, forgive, too_many
from backend.validation import clean_application
from backend.views import admin_view, created_view, feedback_view, progress_view, summary_view, unanswered_view
from reissue import clock
from reissue.application import is_application_number
from reissue.knowledge import message


def reject_unknown_query(request: Request) -> None:
    """Dependency: a query parameter the operation does not declare is a 422 (after the token check)."""
    denied = auth_error_for(request)
    if denied is not None:
        raise denied
    endpoint = request.scope.get("endpoint")
    declared = set()
    for route in request.app.routes:
        if getattr(route, "endpoint", None) is endpoint and hasattr(route, "dependant"):
            declared = {param.alias for param in route.dependant.query_params}
            break
    unknown = [name for name in request.query_params if name not in declared]
    if unknown:
        fields = {(name[:32] or "query"): "不认识这个查询参数，请删除。" for name in unknown[:5]}
        raise ApiError(422, "validation_error", "提交的内容有误，请按提示修改。", fields)


router = APIRouter(dependencies=[Depends(reject_unknown_query)])

_DESCRIPTIONS = {
    401: "缺少或无效的令牌",
    403: "令牌没有这个权限",
    404: "没有找到",
    409: "冲突（Idempotency-Key 对应不同内容，或不允许的状态变更，或状态刚被别人改过）",
    413: "请求内容太大",
    422: "字段填写有误（fields 里按字段给出中文说明）",
    429: "这个申请编号一小时内输错身份证后4位已达10次，这一小时内不再查询（Retry-After 给出秒数）",
}
StatusFilter = Optional[Literal["已提交", "审核中", "审核通过", "审核不通过", "证书已发放"]]


def errors(*codes: int) -> Dict[int, Dict[str, Any]]:
    """OpenAPI entries documenting the common error body for these status codes."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


def _validation_error(fields: Dict[str, str]) -> ApiError:
    """A 422 with Chinese messages by field."""
    return ApiError(422, "validation_error", "提交的内容有误，请按提示修改。", fields)


@router.post(
    "/api/v1/applications",
    status_code=201,
    response_model=ApplicationCreated,
    responses={200: {"model": ApplicationCreated, "description": "同一 Idempotency-Key、相同内容的重放"},
               **errors(401, 403, 409, 413, 422)},
    dependencies=[Depends(authorize)],
    summary="提交补发申请（机器人令牌）",
)
@roles(BOT)
def create_application(
    request: Request,
    response: Response,
    body: ApplicationIn,
    idempotency_key: str = Header(..., alias="Idempotency-Key", min_length=8, max_length=128, pattern=r"^[!-~]+$"),
) -> Dict[str, Any]:
    """Create an application once per Idempotency-Key; a replay returns the same one with 200."""
    state = request.app.state
    payload = body.dict()
    digest = service.request_hash(payload, state.secrets.hmac_key)
    replay = service.find_replay(state.factory, idempotency_key, digest)
    if replay is not None:
        response.status_code = 200
        return created_view(replay)
    clean, fields = clean_application(body, clock.now(), lambda ref: service.photo_exists(state.factory, ref))
    if clean is None:
        raise _validation_error(fields)
    app, created = service.create_application(state.factory, state.secrets, idempotency_key, digest, clean)
    response.status_code = 201 if created else 200
    return created_view(app)


@router.get(
    "/api/v1/applications",
    response_model=ApplicationList,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="列出和搜索申请（工作人员令牌）",
)
@roles(STAFF)
def list_applications(
    request: Request,
    q: str = Query("", max_length=64, description="申请编号、身份证号码（完整或后4位）或姓名"),
    status: StatusFilter = Query(None),
    city: str = Query("", max_length=16),
    page: int = Query(1, ge=1, le=1000),
) -> Dict[str, Any]:
    """One page of applications, newest first."""
    state = request.app.state
    rows, total = service.search(state.factory, state.secrets, q, status or "", city, page)
    return {"items": [summary_view(a) for a in rows], "total": total, "page": page, "page_size": service.PAGE_SIZE}


@router.get(
    "/api/v1/applications/{number}",
    response_model=ApplicationProgress,
    responses=errors(401, 403, 404, 422, 429),
    dependencies=[Depends(authorize)],
    summary="申请人查询进度（编号 + 身份证后4位）",
)
@roles(BOT, STAFF)
def get_progress(
    request: Request,
    number: str = Path(..., max_length=32),
    id_last4: str = Query(..., min_length=4, max_length=4, pattern=r"^\d{3}[0-9Xx]$"),
) -> Dict[str, Any]:
    """Status, timeline and failure reason; a wrong pair answers exactly like an unknown number, and after 10 wrong
    guesses for one number within an hour, known or not, that number answers 429 for the rest of the hour."""
    factory = request.app.state.factory
    guess = admit(factory, PROGRESS_GUESSES, number.strip().upper()) if is_application_number(number) else None
    if guess is not None and not guess.allowed:
        raise too_many("backend_progress_locked", guess.retry_after_s)
    app = service.progress(factory, number, id_last4)
    if app is None:
        raise service.not_found()
    if guess is not None:
        forgive(factory, guess)
    return progress_view(app)


@router.get(
    "/api/v1/applications/{number}/admin",
    response_model=ApplicationAdmin,
    responses=errors(401, 403, 404),
    dependencies=[Depends(authorize)],
    summary="完整记录与审计轨迹（工作人员令牌）",
)
@roles(STAFF)
def get_admin(request: Request, number: str = Path(..., max_length=32)) -> Dict[str, Any]:
    """The full record, ID and phone masked, with the audit trail."""
    app = service.admin_record(request.app.state.factory, number)
    if app is None:
        raise service.not_found()
    return admin_view(app)


@router.post(
    "/api/v1/applications/{number}/status",
    response_model=ApplicationAdmin,
    responses=errors(401, 403, 404, 409, 413, 422),
    dependencies=[Depends(authorize)],
    summary="变更申请状态（工作人员令牌；操作人记为 staff-token）",
)
@roles(STAFF)
def post_status(request: Request, body: StatusChange, number: str = Path(..., max_length=32)) -> Dict[str, Any]:
    """Move the application along 已提交 → 审核中 → 审核通过/审核不通过 → 证书已发放; the audit actor is the
    credential's (the machine token's fixed name), never a body field."""
    app = service.change_status(request.app.state.factory, number, body.status, body.reason, STAFF_TOKEN_ACTOR)
    return admin_view(app)


def sniff_image(data: bytes) -> Optional[str]:
    """The content type from the magic bytes: image/jpeg, image/png, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


@router.post(
    "/api/v1/photos",
    status_code=201,
    response_model=PhotoCreated,
    responses=errors(413, 422),
    summary="上传证件照（公开；JPEG/PNG，最大200KB）",
)
def upload_photo(request: Request, file: UploadFile = File(...)) -> Dict[str, Any]:
    """Store a JPEG or PNG of at most 200 KB and return its reference."""
    data = file.file.read(PHOTO_LIMIT + 1)
    if len(data) > PHOTO_LIMIT:
        raise ApiError(413, "payload_too_large", f"照片太大了，请压缩到 {PHOTO_LIMIT // 1024} KB 以内。")
    if sniff_image(data) is None:
        raise _validation_error({"file": "只能上传 JPG 或 PNG 格式的照片。"})
    photo = reencode_photo(data)
    if photo is None:
        raise _validation_error({"file": message("backend_photo_unreadable")})
    state = request.app.state
    return {"photo_ref": service.save_photo(state.factory, state.settings.upload_dir, photo.data, photo.content_type)}


@router.get(
    "/api/v1/photos/{ref}",
    response_class=Response,
    responses={200: {"description": "照片内容", "content": {
        "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
        "image/png": {"schema": {"type": "string", "format": "binary"}}}}, **errors(401, 403, 404)},
    dependencies=[Depends(authorize)],
    summary="取回照片（机器人或工作人员令牌）",
)
@roles(BOT, STAFF)
def get_photo(request: Request, ref: str = Path(..., max_length=40)) -> Response:
    """The photo bytes with their content type."""
    state = request.app.state
    found = service.load_photo(state.factory, state.settings.upload_dir, ref)
    if found is None:
        raise ApiError(404, "not_found", "没有找到这张照片。")
    data, content_type = found
    return Response(content=data, media_type=content_type,
                    headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@router.post(
    "/api/v1/feedback",
    status_code=201,
    response_model=FeedbackCreated,
    responses=errors(413, 422),
    summary="提交满意度评价（公开）",
)
def post_feedback(request: Request, body: FeedbackIn) -> Dict[str, Any]:
    """Store a rating; the label must match the rating (5 非常满意 … 1 非常不满意)."""
    if SATISFACTION[body.rating] != body.label:
        raise _validation_error({"label": f"评分 {body.rating} 对应的评价是“{SATISFACTION[body.rating]}”。"})
    item = service.add_feedback(request.app.state.factory, body.rating, body.label, body.comment, body.sender_ref,
                                body.application_number)
    view = feedback_view(item)
    return {"id": view["id"], "created_at": view["created_at"]}


@router.get(
    "/api/v1/feedback",
    response_model=FeedbackList,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="查看满意度评价（工作人员令牌）",
)
@roles(STAFF)
def get_feedback(request: Request, page: int = Query(1, ge=1, le=1000)) -> Dict[str, Any]:
    """One page of ratings, newest first."""
    rows, total = service.list_feedback(request.app.state.factory, page)
    return {"items": [feedback_view(f) for f in rows], "total": total, "page": page, "page_size": service.PAGE_SIZE}


@router.post(
    "/api/v1/unanswered",
    status_code=201,
    response_model=UnansweredCreated,
    responses=errors(401, 403, 413, 422),
    dependencies=[Depends(authorize)],
    summary="记录助手没能回答的问题（机器人令牌；文字已打码）",
)
@roles(BOT)
def post_unanswered(request: Request, body: UnansweredIn) -> Dict[str, Any]:
    """Store one question the assistant abstained on, fell back on or routed out of scope."""
    item = service.add_unanswered(request.app.state.factory, body.text, body.kind, body.channel,
                                  [guess.dict() for guess in body.guesses])
    view = unanswered_view(item)
    return {"id": view["id"], "created_at": view["created_at"]}


@router.get(
    "/api/v1/unanswered",
    response_model=UnansweredList,
    responses=errors(401, 403, 422),
    dependencies=[Depends(authorize)],
    summary="查看助手没能回答的问题（工作人员令牌）",
)
@roles(STAFF)
def get_unanswered(request: Request, page: int = Query(1, ge=1, le=1000)) -> Dict[str, Any]:
    """One page of unanswered questions, newest first."""
    rows, total = service.list_unanswered(request.app.state.factory, page)
    return {"items": [unanswered_view(q) for q in rows], "total": total, "page": page,
            "page_size": service.PAGE_SIZE}


@router.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "数据库不可用"}})
async def healthz(request: Request) -> Any:
    """Liveness plus a database round trip, within 2 s (a database that does not answer in time is unavailable)."""
    if await request.app.state.database_probe.ok():
        return {"status": "ok", "database": "ok"}
    return JSONResponse({"status": "error", "database": "unavailable"}, status_code=503)
