"""The layout in a real headless Chromium: keyboard skip link, language switch."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.support.browser import live_portal, screenshot


def test_skip_link_and_language_switch_work_in_chromium(portal_app: FastAPI, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    with live_portal(portal_app) as base:
        browser.delete_all_cookies()
        browser.get(base + "/")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi"
        # the first Tab reaches the skip link, Enter moves focus to the main content
        browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
        focused = browser.switch_to.active_element
        assert focused.get_attribute("class") == "skip-link"
        focused.send_keys(Keys.ENTER)
        assert browser.switch_to.active_element.get_attribute("id") == "main"
        browser.find_element(By.CSS_SELECTOR, ".language-switch a[hreflang=en]").click()
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        screenshot(browser, "layout-home-en")
