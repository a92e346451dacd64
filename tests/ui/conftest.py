"""A real `bte serve` and Debian's chromium (driven by Playwright, never downloaded) for
the page's tests. Every request the page makes must go to the server: anything else is
refused and recorded, and a test that saw one fails."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.server import BteServer

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

NEEDS_CHROMIUM = pytest.mark.skipif(CHROMIUM is None and os.environ.get("CI") != "true",
                                    reason="no chromium here (scripts/browser.sh installs it as root)")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ui")


@pytest.fixture(scope="module")
def server(workdir: Path) -> Iterator[BteServer]:
    """One server for a module's tests; local paths allowed under the module's folder."""
    srv = BteServer(workdir / "state", "--allow-local", str(workdir)).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any) -> Iterator[Callable[[BteServer], Any]]:
    """open_page(server) -> a fresh page (its own sessionStorage) that may reach only that server."""
    contexts: list[Any] = []
    elsewhere: list[str] = []

    def make(srv: BteServer) -> Any:
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        contexts.append(context)

        def only_the_server(route: Any) -> None:
            if route.request.url.startswith(srv.url + "/") or route.request.url.startswith("about:"):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        context.route("**/*", only_the_server)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert elsewhere == [], f"the page tried to fetch from elsewhere: {elsewhere}"


def csv_input(folder: Path, records: int) -> bytes:
    folder.mkdir(parents=True, exist_ok=True)
    body = b"".join(b"%d,%d\n" % (i, i * i) for i in range(records))
    (folder / "data.csv").write_bytes(body)
    return body
