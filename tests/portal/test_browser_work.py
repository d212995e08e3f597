"""Work pages in a real headless Chromium on a real engine with the real workers: signing in,
a staff member fixing an invalid form value before the valid one completes the task, a
scientist's wrongly typed upload refused and then the proposal submitted and followed in "my
tasks", a council member casting the scoring ballot at the meeting, a form's condition
showing fields as they apply (forms.js).

One database kind (SQLite) only: the browser shows the same pages on both, and the HTTP tests
(test_access.py, test_inbox.py, test_work.py, test_whole_task.py) cover PostgreSQL.
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
from khcn.settings import Settings
from models.councils import ScoreSheet
from models.db import make_engine, make_sessionmaker
from models.editions import DEFAULT_REGULATIONS
from models.enums import CouncilRole, CouncilType, Field, ProposalStatus, Role, TaskMemberRole
from models.inbox import InboxItem, InboxState
from models.migrate import upgrade
from models.proposals import Proposal
from models.rules import add_months, scoring_sheet
from models.services import accounts
from models.services import tasks as tasks_service
from models.services.meetings import review_assignments
from models.services.proposals import create_proposal, register_proposal
from models.services.user_tasks import ballot_fields
from models.tasks import Task
from models.users import User
from portal.app import create_app
from portal.config import PortalConfig
from portal.engine_link import EngineLink
from portal.inbox.work import run_inbox_worker
from tests.models import factories
from tests.portal.people import make_user
from tests.support.browser import chromium_paths, live_portal, screenshot
from tests.support.engine_process import EngineProcess
from tests.support.system import Inbox, smtp_inbox  # noqa: F401  (fixture)
from tests.support.zeebe import Process
from workers.runtime import run_workers

PASSWORD = "trang-soi-dong-huong"
SCREENING = "browser-screening"
BALLOT = "browser-ballot"
APPROVE = "browser-approve"


@pytest.fixture(scope="module")
def engine_process(make_database_url: Any) -> Iterator[EngineProcess]:
    if chromium_paths() is None:
        pytest.skip("no Chromium here (Debian packages chromium, chromium-driver)")
    proc = EngineProcess(make_database_url("sqlite"))
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def database_url(make_database_url: Any) -> str:
    url = str(make_database_url("sqlite"))
    upgrade(url)
    return url


@pytest.fixture(scope="module")
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
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
def app(
    config: PortalConfig,
    sessions: sessionmaker[Session],
    database_url: str,
    smtp_inbox: tuple[Inbox, int],  # noqa: F811
) -> Iterator[FastAPI]:
    """The portal, with bpmn/ and small one-task processes deployed; the workers and the
    inbox worker running in a loop of their own."""
    extra = [
        _one_task(
            config, SCREENING, "screen", candidate_groups="staff", form_key="khcn-screen-proposal"
        ),
        _one_task(
            config,
            BALLOT,
            "ballot",
            candidate_groups="council",
            assignee="=assignee",
            form_key="khcn-selection-ballot",
        ),
        _one_task(
            config, APPROVE, "approve", candidate_groups="leader", form_key="khcn-approve-list"
        ),
    ]
    asyncio.run(deploy_all(config.zeebe_address, [*bpmn_resources(), *extra]))
    settings = Settings(
        ZEEBE_ADDRESS=config.zeebe_address,
        database_url=database_url,
        smtp_port=smtp_inbox[1],
        documents_dir=str(config.documents_dir),
    )
    loop = asyncio.new_event_loop()

    async def background() -> None:
        running = [
            asyncio.create_task(run_workers(settings.workers())),
            asyncio.create_task(run_inbox_worker(config, sessions, maintenance_seconds=0.5)),
        ]
        try:
            await asyncio.gather(*running)
        except asyncio.CancelledError:
            for task in running:
                task.cancel()
            await asyncio.gather(*running, return_exceptions=True)

    worker = loop.create_task(background())
    thread = threading.Thread(
        target=lambda: loop.run_until_complete(asyncio.wait([worker])), daemon=True
    )
    thread.start()
    try:
        yield create_app(config, sessions)
    finally:
        loop.call_soon_threadsafe(worker.cancel)
        thread.join(timeout=15)


def _one_task(config: PortalConfig, process_id: str, element: str, **task: Any) -> Path:
    """A process of one user task, written beside the documents for deployment."""
    p = Process(process_id)
    p.chain(p.start(), p.user_task(element, **task), p.end())
    path = Path(config.documents_dir) / f"{process_id}.bpmn"
    path.write_bytes(p.xml())
    return path


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
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def replaced(_driver: Any) -> bool:
        # Chromium says an element of a page being replaced is stale, or, caught mid-way on a
        # busy machine, that its node "does not belong to the document": both mean it is gone
        try:
            element.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as error:
            if "does not belong to the document" in str(error):
                return True
            raise
        return False

    element.click()
    WebDriverWait(browser, 15).until(replaced)


def submit(browser: Any, selector: str) -> None:
    """Submit a form with its button and wait for the next page."""
    from selenium.webdriver.common.by import By

    follow(browser, browser.find_element(By.CSS_SELECTOR, selector))


def wait_until(condition: Any, timeout: float = 20.0) -> Any:
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
        SCREENING,
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

        # "my tasks": the registered task, waiting for staff to screen it
        def registered() -> str | None:
            with sessions() as session:
                return session.scalar(select(Task.code).where(Task.proposal_id == saved.id))

        code = wait_until(registered)

        def waiting() -> Any:
            browser.get(base + "/inbox")
            rows = browser.find_elements(By.CSS_SELECTOR, f'tr[data-task="{code}"]')
            return rows and "Sàng lọc đề xuất" in rows[0].text and rows[0]

        row = wait_until(waiting, 30)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", row)
        screenshot(browser, "work-scientist-my-tasks")
        follow(browser, row.find_element(By.CSS_SELECTOR, "a"))
        assert browser.find_element(By.CSS_SELECTOR, "h1").text.startswith(code)
        assert "Sàng lọc đề xuất" in browser.find_element(By.CSS_SELECTOR, "main").text
        screenshot(browser, "work-scientist-task")


def test_a_council_member_casts_the_scoring_ballot_at_the_meeting(
    app: FastAPI, browser: Any, sessions: sessionmaker[Session], config: PortalConfig
) -> None:
    from selenium.webdriver.common.by import By

    with sessions() as session, session.begin():
        task = factories.task(session)
        [application] = factories.valid_applications(session, task, 1)
        council = factories.established(session, task, CouncilType.SELECTION)
        factories.review_all(session, council, task)
        factories.hold(session, council, task)
        chair = factories.member(council, CouncilRole.CHAIR)
        [assignment] = [
            a for a in review_assignments(session, council.id, task.id) if a["memberId"] == chair.id
        ]
        user = session.scalar(select(User).where(User.username == assignment["assignee"]))
        assert user is not None
        user.password_hash = accounts.hash_password(PASSWORD)
        sheet = scoring_sheet(task.kind, task.field, DEFAULT_REGULATIONS.edition("2025").selection)
        variables = {
            "taskCode": task.code,
            "councilId": council.id,
            "assignment": assignment,
            "assignee": assignment["assignee"],
            "scoringSheet": sheet.id,
        }
        username, council_id = user.username, council.id
    link = EngineLink(config.zeebe_address)
    instance = link.start_process(BALLOT, variables)
    link.close()
    held = wait_until(lambda: _item_of(sessions, instance))
    fields = ballot_fields(sheet.id)
    with live_portal(app) as base:
        sign_in(browser, base, username)
        row = browser.find_element(By.CSS_SELECTOR, f'tr[data-item="{held.id}"]')
        screenshot(browser, "work-member-inbox")
        follow(browser, row.find_element(By.CSS_SELECTOR, "a"))
        inputs = browser.find_elements(By.CSS_SELECTOR, "form.task-form input[inputmode=decimal]")
        # only the task's scoring sheet is on the ballot
        assert {i.get_attribute("name") for i in inputs} == set(fields)
        maxima = sheet.maxima()
        for key, code in fields.items():
            browser.find_element(By.ID, f"f-{key}").send_keys(str(maxima[code] - 1))
        browser.find_element(By.ID, "f-comment").send_keys("Hồ sơ tốt, khả thi.")
        screenshot(browser, "work-member-ballot")
        submit(browser, "form.task-form button[type=submit]")
        assert "Công việc đã hoàn thành" in browser.find_element(By.CSS_SELECTOR, ".notice").text
        browser.get(f"{base}/councils/{council_id}")
        # the council's page: what it reviews (the application on its agenda)
        assert f"#{application.id}:" in browser.find_element(By.CSS_SELECTOR, "main").text
        screenshot(browser, "work-member-council")
    with sessions() as session:
        [ballot] = session.scalars(
            select(ScoreSheet).where(ScoreSheet.application_id == application.id)
        ).all()
        assert ballot.member_id == assignment["memberId"]
        assert sum(s.points for s in ballot.scores) == sheet.max_total - len(fields)


def test_a_form_shows_the_fields_its_condition_applies_to_as_they_are_filled(
    app: FastAPI, browser: Any, sessions: sessionmaker[Session], config: PortalConfig
) -> None:
    from selenium.webdriver.common.by import By

    leader = user_with_password(sessions, Role.LEADER)
    link = EngineLink(config.zeebe_address)
    instance = link.start_process(APPROVE, {"taskCode": "NV-2026-950", "proposalTitle": "Sen"})
    link.close()
    held = wait_until(lambda: _item_of(sessions, instance))
    with live_portal(app) as base:
        sign_in(browser, base, leader)
        browser.get(f"{base}/inbox/items/{held.id}")
        number = browser.find_element(By.ID, "f-listDecisionNumber")
        # not approved yet: the decision's fields are hidden, and so is the hint for no script
        assert not number.is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, ".when-hint").is_displayed()
        browser.find_element(By.ID, "f-listApproved").click()
        assert number.is_displayed() and number.is_enabled()
        screenshot(browser, "work-form-condition")
        browser.find_element(By.ID, "f-listApproved").click()
        assert not number.is_displayed()


def _item_of(sessions: sessionmaker[Session], instance: int) -> InboxItem | None:
    with sessions() as session:
        return session.scalar(select(InboxItem).where(InboxItem.process_instance_key == instance))


def test_a_change_request_form_asks_for_what_its_kind_needs(
    app: FastAPI, browser: Any, sessions: sessionmaker[Session]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    username = user_with_password(sessions, Role.SCIENTIST)
    today = date.today()
    with sessions() as session, session.begin():
        lead = session.scalar(select(User).where(User.username == username))
        assert lead is not None and lead.person_id is not None
        task = factories.task(session, host=factories.organisation(session))
        tasks_service.add_task_member(
            session=session,
            task_id=task.id,
            person_id=lead.person_id,
            role=TaskMemberRole.PRINCIPAL_INVESTIGATOR,
        )
        factories.under_contract(session, task, add_months(today, -6), add_months(today, 12))
        code, ends_on = task.code, task.end_date
    assert ends_on is not None
    with live_portal(app) as base:
        sign_in(browser, base, username)
        browser.get(f"{base}/work/tasks/{code}")
        follow(browser, browser.find_element(By.CSS_SELECTOR, "a[href$='/change-request']"))
        end = browser.find_element(By.ID, "f-requestedEndDate")
        budget = browser.find_element(By.ID, "f-requestedBudget")
        kind = Select(browser.find_element(By.ID, "f-changeKind"))
        chosen = kind.first_selected_option.get_attribute("value")
        assert end.is_displayed() == (chosen == "extension")
        kind.select_by_value("budget")
        assert budget.is_displayed() and not end.is_displayed()
        kind.select_by_value("extension")
        assert end.is_displayed() and not budget.is_displayed()
        browser.find_element(By.ID, "f-reason").send_keys("Mưa lũ làm chậm thí nghiệm.")
        new_end = add_months(ends_on, 6)
        browser.execute_script("arguments[0].value = arguments[1]", end, new_end.isoformat())
        screenshot(browser, "work-change-request")
        # on a phone the header's menus wrap between their items: nothing runs off the side
        size = browser.get_window_size()
        browser.set_window_size(390, 844)
        try:
            overflow = browser.execute_script(
                "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            screenshot(browser, "work-change-request-narrow")
        finally:
            browser.set_window_size(size["width"], size["height"])
        assert overflow <= 0
        submit(browser, "form.task-form button[type=submit]")
        assert "/work/tasks/" in browser.current_url and "notice=change" in browser.current_url
        assert "Đề nghị điều chỉnh, gia hạn" in browser.page_source
