"""A creator makes an API token in a real browser, uses it from code, revokes it; the API's reference
page (Swagger UI from the studio's own static files) runs under the studio's CSP."""

import httpx
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_make_use_and_revoke_a_token(live_server, page, log_in, owner, queue, artifacts):
    log_in(page, owner)
    page.goto(f"{live_server.url}/accounts/profile/")
    page.get_by_role("link", name="Your API tokens").click()
    page.get_by_label("Name").fill("my script")
    page.get_by_label("May make videos (spends your credits)").check()
    page.get_by_label("Your password").fill("pw-owner-123")
    page.get_by_role("button", name="Make token").click()
    secret = page.get_by_label("The new token").inner_text().strip()
    assert secret.startswith("st_")
    page.screenshot(path=artifacts / "api-token-made.png", full_page=True)
    assert page.console_errors == []

    headers = {"Authorization": f"Bearer {secret}"}
    made = httpx.post(
        f"{live_server.url}/api/v1/videos",
        headers=headers,
        json={"prompt": "A red fox in fresh snow", "model": "veo", "duration": 5, "size": "1280x720"},
    )
    assert made.status_code == 201, made.text

    page.goto(f"{live_server.url}/api/tokens/")  # shown once: not any more
    expect(page.get_by_label("The new token")).to_have_count(0)
    page.get_by_role("button", name="Revoke my script").click()
    expect(page.get_by_text("is revoked")).to_be_visible()
    assert httpx.get(f"{live_server.url}/api/v1/balance", headers=headers).status_code == 401


def test_the_reference_and_the_guide_run_under_the_csp(live_server, page, log_in, owner, artifacts):
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".opblock")).to_have_count(9)
    expect(page.get_by_text("Studio API").first).to_be_visible()
    page.screenshot(path=artifacts / "api-reference.png", full_page=True)
    assert page.console_errors == []
    log_in(page, owner)
    page.goto(f"{live_server.url}/api/")
    expect(page.get_by_role("heading", name="Use the API")).to_be_visible()
    page.get_by_role("link", name="the API reference").click()
    expect(page.locator(".opblock").first).to_be_visible()
