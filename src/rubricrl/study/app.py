"""The study's web app: personal links under /a/{token}/, the dashboard under /admin/{token}.

A link's token opens only its own assignments; anything else is 404. Forms carry a per-browser
CSRF token that must match a SameSite=Strict cookie, and a foreign Origin is refused.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from rubricrl.study.export import summarize_study
from rubricrl.study.pages import admin_page, message_page, task_page
from rubricrl.study.store import (
    REJECT_REASONS,
    AlreadyAnswered,
    Assignment,
    ItemVote,
    NotAssigned,
    Study,
)
from rubricrl.study.tokens import match_token

CSRF_COOKIE = "rubricrl_csrf"
MAX_REASON = 2000
HEADERS = {
    # Our own script and style only: even text that slipped through as HTML could not run.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    # The token is in the path: never send it to another site (same-origin keeps the Origin
    # header on our own posts, which "no-referrer" would turn into "null").
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


async def _secure(request: Request, call_next: RequestResponseEndpoint) -> Response:
    response = await call_next(request)
    response.headers.update(HEADERS)
    return response


def _csrf_for(request: Request) -> str:
    return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)


def _html(body: str, csrf: str | None = None, status: int = 200) -> HTMLResponse:
    response = HTMLResponse(body, status_code=status)
    if csrf is not None:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/")
    return response


def _check_post(request: Request, form: FormData) -> None:
    """Refuse a cross-site post: a foreign Origin, or a form token that is not the cookie's."""
    origin = request.headers.get("origin")
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin is not None and origin != own:
        raise _Refused(403, "cross-site form refused")
    cookie, given = request.cookies.get(CSRF_COOKIE, ""), str(form.get("csrf", ""))
    if not cookie or not hmac.compare_digest(cookie.encode(), given.encode()):
        raise _Refused(403, "form token missing or stale; reload the page")


def _pair_vote(form: FormData) -> tuple[int, str]:
    choice = str(form.get("choice", ""))
    if choice not in {"1", "2", "3", "4", "5"}:
        raise _Refused(400, "pick one of the five answers")
    return int(choice), str(form.get("reason", ""))[:MAX_REASON]


def _item_votes(form: FormData, assignment: Assignment) -> list[ItemVote]:
    votes = []
    for index, item in enumerate(assignment.payload["sample"]["rubric"]):
        verdict, why = form.get(f"item-{index}"), str(form.get(f"why-{index}", "")) or None
        if verdict not in ("approve", "reject"):
            raise _Refused(400, f"item {index + 1}: approve or reject it")
        if verdict == "reject" and why not in REJECT_REASONS:
            raise _Refused(400, f"item {index + 1}: give a reason for rejecting it")
        votes.append(
            ItemVote(item["id"], verdict == "approve", why if verdict == "reject" else None)
        )
    return votes


def create_app(study_path: Path) -> FastAPI:
    """The app over one study file (checked now, so a bad file fails before serving)."""
    study = Study(study_path)
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BaseHTTPMiddleware, dispatch=_secure)
    app.mount("/static", StaticFiles(packages=[("rubricrl.study", "static")]), name="static")

    @app.exception_handler(_Refused)
    async def refused(request: Request, error: _Refused) -> Response:
        return PlainTextResponse(str(error), status_code=error.status)

    def annotator(token: str) -> tuple[int, str]:
        found = study.annotator(token)
        if found is None:
            raise _Refused(404, "not found")
        return found

    def own(token: str, assignment_id: int) -> tuple[int, Assignment]:
        annotator_id, _ = annotator(token)
        found = study.assignments(annotator_id, only=assignment_id)
        if not found:
            raise _Refused(404, "not found")
        return annotator_id, found[0]

    @app.get("/a/{token}/")
    def queue(token: str, request: Request) -> Response:
        """Resume: the first unanswered task in the annotator's queue."""
        annotator_id, name = annotator(token)
        assignments = study.assignments(annotator_id)
        todo = [a for a in assignments if not a.voted]
        if todo:
            return RedirectResponse(f"/a/{token}/task/{todo[0].id}", status_code=303)
        done = f"All {len(assignments)} tasks are done. Thank you, {name}!"
        return _html(message_page(done, None, assignments), _csrf_for(request))

    @app.get("/a/{token}/task/{assignment_id}")
    def task(token: str, assignment_id: int, request: Request) -> Response:
        annotator_id, _ = annotator(token)
        assignments = study.assignments(annotator_id)  # the page's progress bar needs them all
        assignment = next((a for a in assignments if a.id == assignment_id), None)
        if assignment is None:
            raise _Refused(404, "not found")
        csrf = _csrf_for(request)
        if assignment.voted:
            note = "You already answered this task; your vote stands."
            return _html(message_page(note, f"/a/{token}/", assignments), csrf)
        study.mark_shown(assignment.id)
        action = f"/a/{token}/task/{assignment.id}"
        return _html(task_page(assignment, action, csrf, assignments), csrf)

    @app.post("/a/{token}/task/{assignment_id}")
    async def vote(token: str, assignment_id: int, request: Request) -> Response:
        form = await request.form()
        annotator_id, assignment = await run_in_threadpool(own, token, assignment_id)
        _check_post(request, form)
        try:
            if assignment.kind == "pairwise":
                choice, reason = _pair_vote(form)
                preference = (3 - choice) * (1 if assignment.a_first else -1)
                await run_in_threadpool(
                    study.vote, annotator_id, assignment_id, preference, choice, reason
                )
            else:
                items = _item_votes(form, assignment)
                await run_in_threadpool(study.vote, annotator_id, assignment_id, items=items)
        except AlreadyAnswered as error:
            raise _Refused(409, str(error)) from None
        except NotAssigned:
            raise _Refused(404, "not found") from None
        return RedirectResponse(f"/a/{token}/", status_code=303)

    @app.post("/a/{token}/task/{assignment_id}/skip")
    async def skip(token: str, assignment_id: int, request: Request) -> Response:
        form = await request.form()
        annotator_id, _ = await run_in_threadpool(own, token, assignment_id)
        _check_post(request, form)
        try:
            await run_in_threadpool(study.skip, annotator_id, assignment_id)
        except AlreadyAnswered as error:
            raise _Refused(409, str(error)) from None
        return RedirectResponse(f"/a/{token}/", status_code=303)

    @app.get("/admin/{token}")
    def dashboard(token: str) -> Response:
        meta = study.meta()
        if match_token(token, [(True, meta["admin_hash"])]) is None:
            raise _Refused(404, "not found")
        summary = summarize_study(study, resamples=1)[0]
        return _html(admin_page(study.progress(), summary, meta["exported"] == "1"))

    return app
