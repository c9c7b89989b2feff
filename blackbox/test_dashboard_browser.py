"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, Selenium from PyPI).

One person's first visit: sign up, read the first key once, make another key and use it against the API,
revoke it and see the API answer 401, submit an `echo` job from the marketplace form with a webhook, watch it
complete and see its deliveries. A screenshot of each page goes to docs/screenshots/.
"""
import http.server
import shutil
import threading
from pathlib import Path

import pytest
import requests
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from conftest import admin

SHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 200 and keeps what it got."""

    def __init__(self):
        self.bodies = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                receiver.bodies.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.host = f"127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--disable-gpu"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def shot(driver, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SHOTS / f"{name}.png"))


def wait(driver, condition, seconds=30):
    return WebDriverWait(driver, seconds, poll_frequency=0.2).until(condition)


def test_first_visit_in_a_real_browser(browser, data_dir, start):
    receiver = Receiver()
    server = start("--allow-private-host", receiver.host)
    base = server.url
    driver = browser

    driver.get(base + "/dashboard")
    wait(driver, expected_conditions.url_contains("/dashboard/login"))
    shot(driver, "01-sign-in")
    driver.find_element(By.LINK_TEXT, "Sign up").click()
    wait(driver, expected_conditions.url_contains("/dashboard/signup"))
    driver.find_element(By.ID, "email").send_keys("ada@example.com")
    driver.find_element(By.ID, "password").send_keys("correct horse battery")
    driver.find_element(By.ID, "workspace").send_keys("Ada's lab")
    shot(driver, "02-sign-up")
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    first_key = wait(driver, expected_conditions.presence_of_element_located((By.ID, "new-key"))).text
    assert first_key.startswith("sk_live_")
    shot(driver, "03-welcome")
    assert requests.get(base + "/v1/me", headers={"X-Api-Key": first_key}, timeout=10).json()["workspace"]["name"] == "Ada's lab"

    driver.find_element(By.LINK_TEXT, "Go to the dashboard").click()
    wait(driver, expected_conditions.title_contains("Overview"))
    shot(driver, "04-overview")

    # Settings → API Keys, named as the seed names them.
    driver.find_element(By.LINK_TEXT, "Settings").click()
    wait(driver, expected_conditions.title_contains("API Keys"))
    driver.find_element(By.LINK_TEXT, "API Keys").click()
    driver.find_element(By.ID, "key-name").send_keys("browser")
    driver.find_element(By.CSS_SELECTOR, "form.row button[type=submit]").click()
    key = wait(driver, expected_conditions.presence_of_element_located((By.ID, "new-key"))).text
    assert key.startswith("sk_live_") and key != first_key
    shot(driver, "05-key-created")
    assert requests.get(base + "/v1/me", headers={"X-Api-Key": key}, timeout=10).status_code == 200

    driver.find_element(By.LINK_TEXT, "Back to API Keys").click()
    wait(driver, expected_conditions.title_contains("API Keys"))
    assert key not in driver.page_source, "a key is shown once, on the page that made it"
    assert first_key not in driver.page_source
    shot(driver, "06-api-keys")
    row = driver.find_element(By.XPATH, "//tr[td[1][text()='browser']]")
    row.find_element(By.LINK_TEXT, "Revoke").click()
    wait(driver, expected_conditions.title_contains("Revoke"))
    shot(driver, "07-revoke")
    driver.find_element(By.CSS_SELECTOR, "button.danger").click()
    wait(driver, expected_conditions.title_contains("API Keys"))
    assert requests.get(base + "/v1/me", headers={"X-Api-Key": key}, timeout=10).status_code == 401
    assert requests.get(base + "/v1/me", headers={"X-Api-Key": first_key}, timeout=10).status_code == 200

    # The marketplace form submits an echo job with a webhook; the job page follows it to the end.
    driver.find_element(By.LINK_TEXT, "Marketplace").click()
    wait(driver, expected_conditions.title_contains("Marketplace"))
    shot(driver, "08-marketplace")
    driver.find_element(By.CSS_SELECTOR, "a[href='/dashboard/marketplace/echo']").click()
    wait(driver, expected_conditions.presence_of_element_located((By.ID, "raw-input")))
    driver.find_element(By.ID, "raw-input").send_keys('{"hello": "browser"}')
    driver.find_element(By.ID, "webhook-url").send_keys(f"http://{receiver.host}/hooks/seek")
    shot(driver, "09-worker-form")
    driver.find_element(By.CSS_SELECTOR, "form.schema-form button[type=submit]").click()
    wait(driver, expected_conditions.url_contains("/dashboard/jobs/job_"))
    # The page refreshes itself while the job runs; completed, it shows the result.
    wait(driver, expected_conditions.text_to_be_present_in_element((By.ID, "job-status"), "completed"))
    assert '"hello": "browser"' in driver.find_element(By.ID, "job-result").text

    def delivered(driver):
        driver.refresh()
        return driver.find_elements(By.CSS_SELECTOR, "#deliveries tbody tr")

    rows = wait(driver, delivered)
    assert "200" in rows[0].text
    assert receiver.bodies, "the webhook reached the receiver"
    shot(driver, "10-job")

    driver.find_element(By.LINK_TEXT, "Webhooks").click()
    wait(driver, expected_conditions.title_contains("Webhooks"))
    assert "200" in driver.find_element(By.CSS_SELECTOR, "section.delivery table").text
    shot(driver, "11-webhooks")
    for link, title, name in (("Jobs", "Jobs", "12-jobs"), ("Billing", "Billing", "13-billing"), ("My workers", "My workers", "14-my-workers"),
                              ("Overview", "Overview", "15-overview-after")):
        driver.find_element(By.LINK_TEXT, link).click()
        wait(driver, expected_conditions.title_contains(title))
        shot(driver, name)
    assert "echo" in driver.page_source, "the overview lists the job"

    # A phone-sized window still shows the navigation and the tables.
    driver.set_window_size(390, 844)
    driver.find_element(By.LINK_TEXT, "Jobs").click()
    wait(driver, expected_conditions.title_contains("Jobs"))
    shot(driver, "16-jobs-phone")
    driver.find_element(By.CSS_SELECTOR, "form[action='/dashboard/logout'] button").click()
    wait(driver, expected_conditions.url_contains("/dashboard/login"))
    driver.get(base + "/dashboard/jobs")
    wait(driver, expected_conditions.url_contains("/dashboard/login"))
    receiver.server.shutdown()


def test_admin_creates_the_first_user(data_dir, start):
    created = admin(data_dir, "workspace", "create", "--name", "acme", "--plan", "pro")
    user = admin(data_dir, "user", "create", "--email", "Owner@Acme.example", "--workspace", created["workspace_id"])
    assert user["email"] == "owner@acme.example" and user["workspace_id"] == created["workspace_id"] and len(user["password"]) >= 12
    server = start("--sign-up", "off")
    session = requests.Session()
    login = session.get(server.url + "/dashboard/login", timeout=10)
    assert "Sign up" not in login.text
    assert session.get(server.url + "/dashboard/signup", timeout=10, allow_redirects=False).status_code == 404
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    answer = session.post(server.url + "/dashboard/login", data={"csrf": csrf, "email": "owner@acme.example", "password": user["password"]},
                          allow_redirects=False, timeout=30)
    assert answer.status_code == 303 and answer.headers["Location"] == "/dashboard"
    cookie = answer.headers["Set-Cookie"].split(";")[0]
    # The cookie is Secure, so a client on plain http sends it only when told to, as a browser on loopback does.
    page = requests.get(server.url + "/dashboard", headers={"Cookie": cookie}, allow_redirects=False, timeout=10)
    assert page.status_code == 200 and "acme" in page.text
