"""The study's web app: links under /a/{token}/ (personal, or a panel seat's), the panel's
enrolment link under /join/{token}, the dashboard under /admin/{token}.

A link's token opens only its own assignments; anything else is 404, checked before a form's
body is read. Forms carry a CSRF token, an HMAC of a per-browser SameSite=Strict cookie and the
link, so it works only on its own link; an Origin other than the public URL's is refused, and so
is a Host that is neither the public URL's nor loopback. A body over 64 KB gets 413, chunked or
not, and every response, errors included, carries the security headers.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers, MutableHeaders
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rubricrl.study.create import DEFAULT_URL
from rubricrl.study.export import summarize_study
from rubricrl.study.pages import admin_page, check_page, message_page, task_page
from rubricrl.study.panel import (
    CHECK,
    PANEL_ORIGINS,
    Refused,
    answer_check,
    completion_url,
    enrol,
    seat,
    top_up,
)
from rubricrl.study.store import (
    REJECT_REASONS,
    AlreadyAnswered,
    Assignment,
    ItemVote,
    NotAssigned,
    Reclaimed,
    Study,
)
from rubricrl.study.tokens import match_token

CSRF_COOKIE = "rubricrl_csrf"
MAX_REASON = 2000
MAX_BODY = 64 * 1024
"""The largest form accepted, in bytes: a real vote is a few KB."""
MAX_ID = 2**63 - 1
"""SQLite's largest integer: a larger id in a URL would overflow the query."""
LOOPBACK = ("127.0.0.1", "localhost", "::1")
RECLAIMED = (
    "This task went to another annotator while you were away, so your answer was not needed. "
    "Your queue has new tasks."
)
SCREENED = (
    "Thank you for your time. The answers to the questions show that the instructions were "
    "not clear enough to go on, so the study ends here for you. Continue to return to the "
    "panel with your screened-out code."
)
HEADERS = {
    # Our own script and style only: even text that slipped through as HTML could not run.
    # form-action also covers where a form's redirects may lead: the panels' completion pages.
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    f"img-src 'self'; form-action 'self' {PANEL_ORIGINS}; base-uri 'none'; "
    "frame-ancestors 'none'",
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


class _Page(Exception):
    """An answer for a person rather than a program: a page with a link on where to go next."""

    def __init__(self, status: int, message: str, next_url: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.next_url = next_url


class _TooLarge(Exception):
    """Raised from `receive` once a body passes MAX_BODY."""


class _SecureApp(FastAPI):
    """FastAPI with the header and body-size guards outside Starlette's own error handling, so
    its 500 carries the headers too."""

    def build_middleware_stack(self) -> ASGIApp:
        return _with_headers(_capped(super().build_middleware_stack()))


def _with_headers(app: ASGIApp) -> ASGIApp:
    async def secured(scope: Scope, receive: Receive, send: Send) -> None:
        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).update(HEADERS)
            await send(message)

        await app(scope, receive, send_secured if scope["type"] == "http" else send)

    return secured


def _capped(app: ASGIApp) -> ASGIApp:
    """Refuse a body over MAX_BODY: at once (413) if its length says so, else (chunked) by raising
    _TooLarge as soon as the bytes read pass it, so no body is ever held whole."""

    async def capped(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await app(scope, receive, send)
        length = Headers(scope=scope).get("content-length", "0")
        if not length.isdigit() or int(length) > MAX_BODY:
            return await _too_large(scope, receive, send)
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > MAX_BODY:
                raise _TooLarge  # the app's handler answers 413
            return message

        await app(scope, counted, send)

    return capped


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("form too large", status_code=413)(scope, receive, send)


def _origin(url: str) -> str:
    """scheme://host[:port] as a browser writes it in Origin (default port left out)."""
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port not in (None, default) else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


class _Csrf:
    """Form tokens: HMAC(server secret, browser cookie + link), so one works only on its link."""

    def __init__(self, secure: bool) -> None:
        self.secret = secrets.token_bytes(32)  # per process: a restart asks for a reload
        self.secure = secure

    def nonce(self, request: Request) -> str:
        return request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)

    def token(self, nonce: str, link: str) -> str:
        return hmac.new(self.secret, f"{nonce}/{link}".encode(), "sha256").hexdigest()

    def check(self, request: Request, link: str, form: FormData) -> None:
        nonce, given = request.cookies.get(CSRF_COOKIE, ""), str(form.get("csrf", ""))
        if not nonce or not hmac.compare_digest(self.token(nonce, link).encode(), given.encode()):
            raise _Refused(403, "form token missing or stale; reload the page")

    def html(self, body: str, nonce: str | None = None) -> HTMLResponse:
        response = HTMLResponse(body)
        if nonce is not None:
            response.set_cookie(
                CSRF_COOKIE, nonce, httponly=True, samesite="strict", path="/", secure=self.secure
            )
        return response


def _check_origin(request: Request, public: str) -> None:
    """Refuse a cross-site post: an Origin other than the public URL's (never the Host header's,
    which the client chooses)."""
    origin = request.headers.get("origin")
    if origin is not None and origin != public:
        raise _Refused(403, "cross-site form refused")


def _check_id(assignment_id: int) -> None:
    if not 0 <= assignment_id <= MAX_ID:
        raise _Refused(404, "not found")


def _choice(form: FormData, name: str) -> int | None:
    """An option's index from a radio group; None when none (or no number) was picked."""
    value = str(form.get(name, ""))
    return int(value) if value.isdigit() and len(value) < 3 else None


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


def create_app(study_path: Path, public_url: str = DEFAULT_URL) -> FastAPI:
    """The app over one study file (checked now, so a bad file fails before serving), reached by
    annotators at `public_url`."""
    study = Study(study_path)
    public, csrf = _origin(public_url), _Csrf(urlsplit(public_url).scheme == "https")
    app = _SecureApp(docs_url=None, redoc_url=None, openapi_url=None)
    hosts = [urlsplit(public_url).hostname or "", *LOOPBACK]
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=hosts, www_redirect=False)
    app.mount("/static", StaticFiles(packages=[("rubricrl.study", "static")]), name="static")

    @app.exception_handler(_Refused)
    async def refused(request: Request, error: _Refused) -> Response:
        return PlainTextResponse(str(error), status_code=error.status)

    @app.exception_handler(_Page)
    async def page(request: Request, error: _Page) -> Response:
        return HTMLResponse(message_page(str(error), error.next_url), status_code=error.status)

    @app.exception_handler(_TooLarge)
    async def too_large(request: Request, error: _TooLarge) -> Response:
        return PlainTextResponse("form too large", status_code=413)

    def annotator(token: str) -> tuple[int, str]:
        found = study.annotator(token)
        if found is None:
            raise _Refused(404, "not found")
        return found

    def not_theirs(token: str, annotator_id: int, assignment_id: int) -> Exception:
        """404, or a page sending them on where the task was taken back while they were away."""
        if study.was_reclaimed(annotator_id, assignment_id):
            return _Page(409, RECLAIMED, f"/a/{token}/")
        return _Refused(404, "not found")

    def own(token: str, assignment_id: int) -> tuple[int, Assignment]:
        _check_id(assignment_id)
        annotator_id, _ = annotator(token)
        found = study.assignments(annotator_id, only=assignment_id)
        if not found:
            raise not_theirs(token, annotator_id, assignment_id)
        return annotator_id, found[0]

    def screened() -> _Page:
        return _Page(200, SCREENED, completion_url(study.meta(), screened=True))

    @app.get("/join/{token}")
    def join(token: str, request: Request) -> Response:
        """A panel participant arrives: to their seat (new, or theirs already)."""
        meta = study.meta()
        if match_token(token, [(True, meta.get("panel_hash", ""))]) is None:
            raise _Refused(404, "not found")
        try:
            seat_link = enrol(study, meta, request.query_params)
        except Refused as error:
            raise _Page(error.status, str(error)) from None
        return RedirectResponse(f"/a/{seat_link}/", status_code=303)

    @app.get("/a/{token}/check")
    def check(token: str, request: Request) -> Response:
        annotator_id, _ = annotator(token)
        place = seat(study, annotator_id)
        if place is None or place.passed:
            return RedirectResponse(f"/a/{token}/", status_code=303)
        if place.screened_out:
            raise screened()
        nonce = csrf.nonce(request)
        page = check_page(f"/a/{token}/check", csrf.token(nonce, token), place.tries)
        return csrf.html(page, nonce)

    @app.post("/a/{token}/check")
    async def answer(token: str, request: Request) -> Response:
        annotator_id, _ = await run_in_threadpool(annotator, token)
        if await run_in_threadpool(seat, study, annotator_id) is None:
            raise _Refused(404, "not found")
        _check_origin(request, public)
        form = await request.form()
        csrf.check(request, token, form)
        answers = [_choice(form, f"q-{k}") for k in range(len(CHECK))]
        await run_in_threadpool(answer_check, study, annotator_id, answers)
        return RedirectResponse(f"/a/{token}/check", status_code=303)

    @app.get("/a/{token}/")
    def queue(token: str, request: Request) -> Response:
        """Resume: the first unanswered task in the annotator's queue; a panel participant
        first passes the check, has their queue topped up, and leaves with the panel's code."""
        annotator_id, name = annotator(token)
        place = seat(study, annotator_id)
        if place is not None:
            if place.screened_out:
                raise screened()
            if not place.passed:
                return RedirectResponse(f"/a/{token}/check", status_code=303)
            meta = study.meta()
            if top_up(study, meta, annotator_id, name):
                return RedirectResponse(completion_url(meta), status_code=303)
        assignments = study.assignments(annotator_id)
        todo = [a for a in assignments if not a.voted]
        if todo:
            return RedirectResponse(f"/a/{token}/task/{todo[0].id}", status_code=303)
        done = f"All {len(assignments)} tasks are done. Thank you, {name}!"
        return csrf.html(message_page(done, None, assignments), csrf.nonce(request))

    @app.get("/a/{token}/task/{assignment_id}")
    def task(token: str, assignment_id: int, request: Request) -> Response:
        _check_id(assignment_id)
        annotator_id, _ = annotator(token)
        assignments = study.assignments(annotator_id)  # the page's progress bar needs them all
        assignment = next((a for a in assignments if a.id == assignment_id), None)
        if assignment is None:
            raise not_theirs(token, annotator_id, assignment_id)
        nonce = csrf.nonce(request)
        if assignment.voted:
            note = "You already answered this task; your vote stands."
            return csrf.html(message_page(note, f"/a/{token}/", assignments), nonce)
        study.mark_shown(annotator_id, assignment.id)
        action, form_token = f"/a/{token}/task/{assignment.id}", csrf.token(nonce, token)
        return csrf.html(task_page(assignment, action, form_token, assignments), nonce)

    @app.post("/a/{token}/task/{assignment_id}")
    async def vote(token: str, assignment_id: int, request: Request) -> Response:
        # The link first: a forged one is 404 before a byte of its body is read.
        annotator_id, assignment = await run_in_threadpool(own, token, assignment_id)
        _check_origin(request, public)
        form = await request.form()
        csrf.check(request, token, form)
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
        except Reclaimed:
            raise _Page(409, RECLAIMED, f"/a/{token}/") from None
        except NotAssigned:
            raise _Refused(404, "not found") from None
        return RedirectResponse(f"/a/{token}/", status_code=303)

    @app.post("/a/{token}/task/{assignment_id}/skip")
    async def skip(token: str, assignment_id: int, request: Request) -> Response:
        annotator_id, _ = await run_in_threadpool(own, token, assignment_id)
        _check_origin(request, public)
        form = await request.form()
        csrf.check(request, token, form)
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
        page = admin_page(study.progress(), summary, study.overview(), meta["exported"] == "1")
        return csrf.html(page)

    return app
