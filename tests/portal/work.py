"""People working through the portal's HTTP routes, as a browser without JavaScript does:
signing in, opening their inbox, filling forms (fields as the form's inputs send them, files
as uploads), filing what their task's process waits for."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from models.users import User
from portal.inbox.work import as_submitted
from tests.portal.people import anonymous_csrf, client_of, login
from tests.support.zeebe import wait_for

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def pdf(text: str) -> bytes:
    """A small PDF file whose content differs by `text` (files are stored by their hash)."""
    return PDF.replace(b"%%EOF", f"% {text}\n%%EOF".encode())


@dataclass
class Person:
    """Someone signed in to the portal, with their HTTP client and the session's CSRF token."""

    username: str
    client: TestClient
    csrf: str
    pages: list[str] = field(default_factory=list)

    async def get(self, url: str, status: int = 200) -> str:
        """A page's HTML (its status checked)."""
        response = await asyncio.to_thread(self.client.get, url, follow_redirects=False)
        assert response.status_code == status, (url, response.status_code, response.text[:800])
        self.pages.append(url)
        return response.text

    async def post(
        self,
        url: str,
        values: Mapping[str, Any],
        files: Mapping[str, bytes] | None = None,
        status: int = 303,
    ) -> Any:
        """Post a form (multipart when it carries files); the response, its status checked."""
        data: dict[str, Any] = {"csrf_token": self.csrf}
        for key, value in values.items():
            texts = as_submitted(value)
            if texts:
                data[key] = texts if len(texts) > 1 else texts[0]
        upload = [
            (key, (f"{key}.pdf", content, "application/pdf"))
            for key, content in (files or {}).items()
        ]
        response = await asyncio.to_thread(
            self.client.post, url, data=data, files=upload or None, follow_redirects=False
        )
        assert response.status_code == status, (url, response.status_code, _errors(response.text))
        return response

    async def submit_item(
        self, item_id: int, values: Mapping[str, Any], files: Mapping[str, bytes] | None = None
    ) -> None:
        """Open an inbox item's page, then submit its form; the task completes."""
        page = BeautifulSoup(await self.get(f"/inbox/items/{item_id}"), "html.parser")
        form = page.select_one("form.task-form")
        assert form is not None, f"no form for item {item_id} as {self.username}"
        names = {i.get("name") for i in form.select("[name]")}
        unknown = set(values) - names
        assert not unknown, f"fields {unknown} not on the form of item {item_id}"
        response = await self.post(f"/inbox/items/{item_id}", values, files)
        assert response.headers["location"] == "/inbox?notice=done", response.headers["location"]

    async def file(self, code: str, kind: str, files: Mapping[str, bytes]) -> None:
        """File what the task's process waits for, from the task's page (waiting until the
        page offers it: the workers may still be on their way there)."""
        link = f"/work/tasks/{code}/file/{kind}"

        async def offered() -> bool:
            return link in await self.get(f"/work/tasks/{code}")

        await wait_for(offered, 20, interval=0.1, message=f"{kind} offered to {self.username}")
        await self.get(link)
        response = await self.post(link, {"note": ""}, files)
        assert response.headers["location"] == f"/work/tasks/{code}?notice=filed"


def _errors(html: str) -> str:
    found = re.findall(r'class="field-error"[^>]*>([^<]+)<', html)
    return "; ".join(found) or html[:1500]


def signed_in(app: Any, sessions: sessionmaker[Session], username: str) -> Person:
    """A person with a fresh session opened directly (no password hashing: fast)."""
    with sessions() as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    who = login(sessions, user_id)
    return Person(username, client_of(app, who), who.csrf)


def signs_in(app: Any, username: str, password: str) -> Person:
    """A person signing in through the sign-in form."""
    client = client_of(app)
    response = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": anonymous_csrf(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/inbox").text)
    assert token is not None
    return Person(username, client, token.group(1))
