"""One error shape for every failure: {"error", "message", "fields"} with Chinese text."""
from __future__ import annotations

import logging
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

LOG = logging.getLogger("backend")

FIELD_MESSAGES: Dict[str, str] = {
    "reason": "补办原因只能是遗失（lost）、损毁（damaged）或超期未领取（expired_uncollected）。",
    "qualification": "请填写证书上的资格名称（最多64个字）。",
    "level": "级别填写不正确（最多32个字）。",
    "specialty": "专业名称最多64个字。",
    "obtained": "取得年月请写成“YYYY-MM”，例如 2015-06。",
    "applicant_name": "请填写姓名（1到32个字）。",
    "id_number": "身份证号码应为18位，最后一位可以是数字或X。",
    "cert_number": "证书管理号最多64个字符；不记得可以填“不记得”。",
    "city": "请填写山东省的地市名称，例如“济南市”。",
    "phone": "手机号码应为11位数字，以1开头。",
    "photo_ref": "照片编号不正确，请重新上传照片。",
    "channel": "渠道只能是 web、wechat、rest 或 hotline。",
    "sender_ref": "sender_ref 最多128个字符。",
    "idempotency-key": "请求头 Idempotency-Key 必须是8到128个可见ASCII字符。",
    "id_last4": "请填写身份证号码的后4位（数字，最后一位可以是X）。",
    "status": "状态只能是“审核中”“审核通过”“审核不通过”“证书已发放”之一。",
    "rating": "评分应为1到5的整数。",
    "label": "评价只能是“非常满意”“满意”“基本满意”“不满意”“非常不满意”之一。",
    "comment": "意见最多500个字。",
    "application_number": "申请编号格式不正确，应为 BF 加13位数字。",
    "file": "请用 multipart 字段 file 上传一张照片。",
    "page": "页码应为1到1000的整数。",
    "q": "搜索内容最多64个字。",
    "number": "申请编号格式不正确。",
    "ref": "照片编号格式不正确。",
    "body": "请求内容不是有效的 JSON 对象。",
}
# Fields a client may not send, with why (any other unknown field: UNKNOWN_FIELD).
UNKNOWN_FIELD = "不认识这个字段，请删除。"
REFUSED_FIELDS: Dict[str, str] = {
    "actor": "操作人由登录的账号或所用的令牌决定，不能在请求里填写，请删除这一项。",
}
LAST_ADMINISTRATOR = "“{username}”是最后一个在用的管理员账号，不能停用；请先创建或启用另一个管理员账号。"


class ApiError(Exception):
    """A failure with an HTTP status, a code, a Chinese message and optional field messages."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        fields: Optional[Mapping[str, str]] = None,
        headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        """Keep every part of the error."""
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def error_body(code: str, message: str, fields: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """The JSON body of an error."""
    return {"error": code, "message": message, "fields": dict(fields or {})}


def error_response(error: ApiError) -> JSONResponse:
    """Render an ApiError."""
    return JSONResponse(
        error_body(error.code, error.message, error.fields), status_code=error.status_code, headers=error.headers
    )


def field_name(loc: Iterable[Any]) -> str:
    """The field a pydantic error location points at (`body` for the body as a whole)."""
    names = [p for p in loc if isinstance(p, str) and p not in ("body", "query", "path", "header", "cookie")]
    if not names:
        return "body"
    return "idempotency-key" if names[0].lower() == "idempotency-key" else names[0]


def validation_fields(errors: Iterable[Mapping[str, Any]]) -> Dict[str, str]:
    """Chinese messages by field for a list of pydantic errors."""
    fields: Dict[str, str] = {}
    for item in errors:
        name = field_name(item.get("loc", ()))
        kind = str(item.get("type", ""))
        if kind == "value_error.extra" or kind == "extra_forbidden":
            message = REFUSED_FIELDS.get(name, UNKNOWN_FIELD)
        elif kind in ("value_error.missing", "missing"):
            message = "缺少这一项。" + FIELD_MESSAGES.get(name, "")
        else:
            message = FIELD_MESSAGES.get(name, "这一项填写不正确。")
        fields.setdefault(name, message)
    return fields


def allowed_methods(request: Request) -> List[str]:
    """Every method some route accepts at this path (Starlette's 405 names only the first route's)."""
    methods: Set[str] = set()
    for route in request.app.routes:
        route_methods = getattr(route, "methods", None)
        if route_methods and route.matches(request.scope)[0] != Match.NONE:
            methods.update(route_methods)
    return sorted(methods)


def install_error_handlers(app: FastAPI, auth_error_for: Callable[[Request], Optional[ApiError]]) -> None:
    """Register the handlers that turn every failure into the common error shape; `auth_error_for` is the
    credential check a malformed request meets first, so no data or shape leaks to a caller without rights."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        """Render a deliberate error."""
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        """Render a malformed request, checking credentials first so no data or shape leaks."""
        denied = auth_error_for(request)
        if denied is not None:
            return error_response(denied)
        fields = validation_fields(exc.errors())
        return JSONResponse(error_body("validation_error", "提交的内容有误，请按提示修改。", fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Render routing errors (404, 405 with every allowed method) and any other HTTPException."""
        if exc.status_code == 400:  # FastAPI's "error parsing the body": same shape as any malformed body
            denied = auth_error_for(request)
            if denied is not None:
                return error_response(denied)
            return JSONResponse(error_body("validation_error", "提交的内容有误，请按提示修改。",
                                           {"body": FIELD_MESSAGES["body"]}), status_code=422)
        messages = {404: ("not_found", "没有找到这个地址。"), 405: ("method_not_allowed", "这个地址不支持该请求方法。")}
        code, message = messages.get(exc.status_code, ("http_error", "请求无法处理。"))
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse(error_body(code, message), status_code=exc.status_code, headers=headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        """Hide internals of an unexpected failure behind a Chinese 500 message."""
        LOG.error("unexpected error: %s", type(exc).__name__)
        return JSONResponse(error_body("internal_error", "系统暂时出了点问题，请稍后再试。"), status_code=500)
