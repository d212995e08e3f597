"""Work pages in a real headless Chromium on a real engine: signing in, a staff member fixing an
invalid form value before the valid one completes the task, a wrongly typed upload refused.

One database kind (SQLite) only: the browser shows the same pages on both, and the HTTP tests
(test_access.py, test_inbox.py) cover PostgreSQL.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from khcn.launcher import bpmn_resources, deploy_all
from models.db import make_engine, make_sessionmaker
from models.enums import Field, ProposalStatus, Role
from models.inbox import InboxItem, InboxState
from models.migrate import upgrade
from models.proposals import Proposal
from models.services import accounts
from models.services.proposals import create_proposal, register_proposal
from models.users import User
from portal.app import create_app
from portal.config import PortalConfig
from portal.engine_link import EngineLink
from portal.inbox.work import run_inbox_worker
from tests.portal.people import make_user
from tests.support.browser import chromium_paths, live_portal, screenshot
from tests.support.engine_process import EngineProcess
from tests.support.zeebe import Process

PASSWORD = "trang-soi-dong-huong"
PROCESS_ID = "browser-screening"


@pytest.fixture(scope="module")
def engine_process(make_database_url: Any) -> Iterator[EngineProcess]:
    if chromium_paths() is None:
        pytest.skip("no Chromium here (Debian packages chromium, chromium-driver)")
    proc = EngineProcess(make_database_url("sqlite"))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def sessions(make_database_url: Any) -> Iterator[sessionmaker[Session]]:
    url = make_database_url("sqlite")
    upgrade(url)
    engine = make_engine(url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def config(engine_process: EngineProcess, tmp_path_factory: pytest.TempPathFactory) -> PortalConfig:
    return PortalConfig(
        zeebe_address=engine_process.address,
        documents_dir=tmp_path_factory.mktemp("documents"),
        smtp_port=1,  # no mail in these tests: a refused connection is logged, not raised
    )


@pytest.fixture(scope="module")
def app(config: PortalConfig, sessions: sessionmaker[Session]) -> Iterator[FastAPI]:
    """The portal, with bpmn/ and a one-task screening process deployed, the inbox running."""
    p = Process(PROCESS_ID)
    p.chain(
        p.start(),
        p.user_task("screen", candidate_groups="staff", form_key="khcn-screen-proposal"),
        p.end(),
    )
    extra = Path(config.documents_dir) / f"{PROCESS_ID}.bpmn"
    extra.write_bytes(p.xml())
    asyncio.run(deploy_all(config.zeebe_address, [*bpmn_resources(), extra]))
    loop = asyncio.new_event_loop()
    worker = loop.create_task(run_inbox_worker(config, sessions, maintenance_seconds=0.5))
    thread = threading.Thread(target=loop.run_until_complete, args=(worker,), daemon=True)
    thread.start()
    try:
        yield create_app(config, sessions)
    finally:
        loop.call_soon_threadsafe(worker.cancel)
        thread.join(timeout=10)


def user_with_password(sessions: sessionmaker[Session], role: Role) -> str:
    user = make_user(sessions, [role], person=role is Role.SCIENTIST)
    with sessions() as session, session.begin():
        row = session.get(User, user.id)
        assert row is not None
        row.password_hash = accounts.hash_password(PASSWORD)
    return user.username


def sign_in(browser: Any, base: str, username: str, name: str | None = None) -> None:
    from selenium.webdriver.common.by import By

    browser.delete_all_cookies()
    browser.get(base + "/sign-in")
    browser.find_element(By.ID, "username").send_keys(username)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    if name:
        screenshot(browser, name)
    submit(browser, "form.stacked button[type=submit]")
    wait_until(lambda: "/sign-in" not in browser.current_url)


def follow(browser: Any, element: Any) -> None:
    """Click a link or button and wait until the next page replaced this one."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    element.click()
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(element))


def submit(browser: Any, selector: str) -> None:
    """Submit a form with its button and wait for the next page."""
    from selenium.webdriver.common.by import By

    follow(browser, browser.find_element(By.CSS_SELECTOR, selector))


def wait_until(condition: Any, timeout: float = 15.0) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("condition not met")


def test_staff_signs_in_and_completes_a_form_after_fixing_an_invalid_value(
    app: FastAPI, browser: Any, sessions: sessionmaker[Session], config: PortalConfig
) -> None:
    from selenium.webdriver.common.by import By

    with sessions() as session, session.begin():
        proposal_id = create_proposal(
            session=session,
            year=2026,
            title="Bảo tồn giống thanh trà Huế",
            field=Field.AGRICULTURAL,
            proposer_organisation_id=None,
            proposer_person_id=make_person(session),
        ).id
        code = register_proposal(
            session=session, proposal_id=proposal_id, today=date(2026, 3, 2)
        ).task.code
    link = EngineLink(config.zeebe_address)
    instance = link.start_process(
        PROCESS_ID,
        {"proposalId": proposal_id, "taskCode": code, "proposalTitle": "Thanh trà Huế"},
    )
    link.close()

    def item() -> InboxItem | None:
        with sessions() as session:
            return session.scalar(
                select(InboxItem).where(InboxItem.process_instance_key == instance)
            )

    held = wait_until(item)
    staff = user_with_password(sessions, Role.STAFF)
    with live_portal(app) as base:
        sign_in(browser, base, staff, "work-sign-in")
        assert browser.current_url.endswith("/inbox")
        follow(browser, browser.find_element(By.LINK_TEXT, "Công việc của nhóm"))
        screenshot(browser, "work-inbox-groups")
        follow(browser, browser.find_element(By.CSS_SELECTOR, f'tr[data-item="{held.id}"] a'))
        note = browser.find_element(By.ID, "f-screeningNote")
        note.send_keys("Đề xuất chưa có dự toán")
        submit(browser, "form.task-form button[type=submit]")
        # invalid: no result chosen; the message sits beside the field, the note is kept
        error = browser.find_element(By.ID, "f-screeningResult-error")
        assert error.text == "Trường này là bắt buộc."
        assert browser.find_element(By.ID, "f-screeningNote").get_attribute("value") == (
            "Đề xuất chưa có dự toán"
        )
        screenshot(browser, "work-form-invalid")
        browser.find_element(
            By.CSS_SELECTOR, 'input[name="screeningResult"][value="passed"]'
        ).click()
        submit(browser, "form.task-form button[type=submit]")
        assert "Công việc đã hoàn thành" in browser.find_element(By.CSS_SELECTOR, ".notice").text
        screenshot(browser, "work-form-done")
    with sessions() as session:
        assert session.get(InboxItem, held.id).state is InboxState.COMPLETED
        assert session.get(Proposal, proposal_id).status is ProposalStatus.SCREENED_IN


def make_person(session: Session) -> int:
    from models.services.people import create_person

    return create_person(session=session, full_name="Tôn Nữ Thanh Trà").id


def test_a_scientist_uploading_a_file_of_the_wrong_type_is_refused_then_submits(
    app: FastAPI, browser: Any, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    fake = tmp_path / "ho-so.pdf"
    fake.write_bytes(b"MZ\x90\x00\x03 this is a program, not a PDF")
    real = tmp_path / "ho-so-that.pdf"
    real.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    scientist = user_with_password(sessions, Role.SCIENTIST)
    with live_portal(app) as base:
        sign_in(browser, base, scientist)
        browser.get(base + "/proposals/new")
        browser.find_element(By.ID, "f-title").send_keys(
            "Ứng dụng IoT giám sát mặn trên sông Hương"
        )
        Select(browser.find_element(By.ID, "f-field")).select_by_value("engineering_technology")
        browser.find_element(By.CSS_SELECTOR, 'input[name="kind"][value="research_topic"]').click()
        browser.find_element(By.ID, "f-rationale").send_keys("Xâm nhập mặn ngày càng sâu.")
        browser.find_element(By.ID, "f-objectives").send_keys("Mạng cảm biến cảnh báo sớm.")
        browser.find_element(By.ID, "f-dossier").send_keys(str(fake))
        submit(browser, "form.task-form button[type=submit]")
        error = browser.find_element(By.ID, "f-dossier-error")
        assert "không được chấp nhận" in error.text
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", error)
        assert "IoT" in browser.find_element(By.ID, "f-title").get_attribute("value")
        screenshot(browser, "work-proposal-wrong-type")
        browser.find_element(By.ID, "f-dossier").send_keys(str(real))
        submit(browser, "form.task-form button[type=submit]")
        assert "/proposals/" in browser.current_url
        assert "quy trình xử lý đã bắt đầu" in browser.find_element(By.CSS_SELECTOR, ".notice").text
        screenshot(browser, "work-proposal-submitted")
    with sessions() as session:
        saved = session.scalar(select(Proposal).where(Proposal.title.like("%IoT%")))
    assert saved is not None and saved.process_instance_key is not None
