"""The public pages in a real headless Chromium: search typed without accents from the home
page, a task's timeline, statistics charts drawn by ECharts (screenshots in var/screenshots/)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.portal.data import Province
from tests.support.browser import live_portal, screenshot


def test_search_without_accents_from_home_then_open_the_timeline(
    portal_app: FastAPI, province: Province, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 15)
    with live_portal(portal_app) as base:
        browser.delete_all_cookies()
        browser.get(base + "/")
        wait.until(lambda d: d.execute_script("return document.readyState") == "complete")
        screenshot(browser, "public-home")
        box = browser.find_element(By.ID, "home-q")
        box.send_keys("dam pha tam giang", Keys.ENTER)
        wait.until(ec.url_contains("/tasks?q="))
        first = browser.find_element(By.CSS_SELECTOR, ".task-hit .task-hit-title a")
        marked = [m.text for m in first.find_elements(By.TAG_NAME, "mark")]
        assert marked == ["đầm", "phá", "Tam", "Giang"]
        assert browser.find_element(By.ID, "q").get_attribute("value") == "dam pha tam giang"
        screenshot(browser, "public-search-without-accents")

        first.click()
        wait.until(ec.url_contains(f"/tasks/{province.lagoon}"))
        steps = browser.find_elements(By.CSS_SELECTOR, "ol.timeline > li")
        assert [s.get_attribute("class") for s in steps] == ["done"] * 5
        assert "Ký hợp đồng" in steps[1].text
        screenshot(browser, "public-task-timeline")

        browser.get(f"{base}/tasks/{province.rice}")
        current = browser.find_element(By.CSS_SELECTOR, "ol.timeline > li[aria-current=step]")
        assert current.text.startswith("3. Triển khai thực hiện")
        screenshot(browser, "public-task-in-progress")


def test_statistics_charts_are_drawn(portal_app: FastAPI, province: Province, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with live_portal(portal_app) as base:
        browser.get(base + "/statistics")
        holders = browser.find_elements(By.CSS_SELECTOR, "[data-chart]")
        assert len(holders) == 5
        WebDriverWait(browser, 15).until(
            lambda d: all(h.get_attribute("data-drawn") == "true" for h in holders)
        )
        for holder in holders:
            assert holder.find_elements(By.TAG_NAME, "canvas"), holder.get_attribute("data-chart")
            drawn = browser.execute_script(
                "var c = echarts.getInstanceByDom(arguments[0]);"
                "return c.getOption().series[0].data.length;",
                holder,
            )
            rows = holder.find_element(By.XPATH, "following-sibling::div//tbody")
            assert drawn == len(rows.find_elements(By.TAG_NAME, "tr"))
        errors = [
            entry
            for entry in browser.get_log("browser")
            if entry["level"] == "SEVERE" and "favicon" not in entry["message"]
        ]
        assert errors == []
        screenshot(browser, "public-statistics")
        browser.execute_script("document.getElementById('stat-organisation').scrollIntoView()")
        screenshot(browser, "public-statistics-organisations")
