"""Fresh-machine check: Chromium renders the first page of a running app (URL in argv[1])."""
import sys

from playwright.sync_api import sync_playwright

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

with sync_playwright() as p:
    b = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
    pg = b.new_page()
    pg.goto(sys.argv[1])
    pg.wait_for_selector("text=Sequence length T", timeout=60_000)
    pg.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)
    errors = pg.locator('[data-testid="stException"]').count()
    b.close()
if errors:
    sys.exit(f"first page shows {errors} exception box(es)")
print("fresh-machine check: first page rendered in Chromium, no exception")
