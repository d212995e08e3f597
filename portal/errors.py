"""Error pages in the portal's layout, and JSON errors under /api."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from models.services.errors import DomainError, InvalidRequestError, NotFoundError

log = logging.getLogger("portal")


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _problems(error: RequestValidationError) -> list[dict[str, str]]:
    """Each invalid parameter as {where, name, message}."""
    found = []
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ())]
        found.append(
            {
                "where": location[0] if location else "",
                "name": ".".join(location[1:]),
                "message": str(item.get("msg", "")),
            }
        )
    return found


def install_error_pages(app: FastAPI) -> None:
    """404/4xx/500 pages rendered in the layout (JSON for the API)."""

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if _wants_json(request):
            return JSONResponse(
                {"detail": error.detail}, status_code=error.status_code, headers=error.headers
            )
        return request.app.state.renderer.render(
            request,
            "errors/error.html",
            {"status": error.status_code, "detail": error.detail, "problems": []},
            status_code=error.status_code,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        problems = _problems(error)
        if _wants_json(request):
            return JSONResponse({"detail": "invalid request", "problems": problems}, 400)
        return request.app.state.renderer.render(
            request,
            "errors/error.html",
            {"status": 400, "detail": None, "problems": problems},
            status_code=400,
        )

    @app.exception_handler(Exception)
    async def server_error(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _wants_json(request):
            return JSONResponse({"detail": "internal server error"}, status_code=500)
        try:
            return request.app.state.renderer.render(
                request, "errors/error.html", {"status": 500, "detail": None, "problems": []}, 500
            )
        except Exception:  # the layout itself failed: a plain page rather than none
            log.exception("the error page failed too")
            return Response("500 Internal Server Error", status_code=500)


def install_domain_errors(app: FastAPI) -> None:
    """A service's refusal (DomainError) as a page in the request's language: 404 for what
    does not exist, 400 for what cannot mean anything, 409 for what the state refuses."""

    @app.exception_handler(DomainError)
    async def refused(request: Request, error: DomainError) -> Response:
        status = 409
        if isinstance(error, NotFoundError):
            status = 404
        elif isinstance(error, InvalidRequestError):
            status = 400
        text = (
            error.message_vi
            if getattr(request.state, "language", "vi") == "vi"
            else error.message_en
        )
        if _wants_json(request):
            return JSONResponse({"detail": text, "code": error.code}, status_code=status)
        return request.app.state.renderer.render(
            request, "errors/error.html", {"status": status, "detail": text, "problems": []}, status
        )
