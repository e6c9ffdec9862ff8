"""The live page in real Chromium: the few-words columns (call-backs due, estimate accuracy) sit in their cells on
the same line as the row's numbers, not raised above them like superscripts."""

from __future__ import annotations

from console.models import Role
from tests.console.browser_session import make_account, sign_in_page
from tests.console.chromium import needs_chromium
from tests.console.report_builders import at, waited

pytestmark = needs_chromium

# For each cell of a queue's row: its box, and the box of its text.
BOXES = """row => Array.from(row.querySelectorAll('td[data-field]')).map(cell => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const text = range.getBoundingClientRect(), box = cell.getBoundingClientRect();
  return {field: cell.dataset.field, text: [text.top, text.bottom, text.left, text.right],
          box: [box.top, box.bottom, box.left, box.right]};
})"""


def test_call_backs_due_and_accuracy_sit_in_their_cells_on_the_rows_line(app, engine, console):
    from playwright.sync_api import expect

    waited(engine, at(17, 9, 0), result="answered", seconds=46, queue="311-callbacks", told=(60, 120, 60))
    base, _, browser = console
    make_account(app, "screen", Role.WALLBOARD)
    page = browser.new_page()
    sign_in_page(page, base, "screen", going="/console/live")
    row = page.locator('tr[data-queue="311-callbacks"]')
    expect(row.locator('td[data-field="accuracy"]')).to_contain_text("told ~1 min, waited 46 s")
    cells = {cell["field"]: cell for cell in row.evaluate(BOXES)}
    for field in ("callbacks", "accuracy"):
        top, bottom, left, right = cells[field]["text"]
        box_top, box_bottom, box_left, box_right = cells[field]["box"]
        assert box_top <= top and bottom <= box_bottom and box_left <= left and right <= box_right, field
    # The first line of words shares the baseline of the big numbers beside it (within a descender's difference).
    first_line = page.evaluate(
        """cell => { const r = document.createRange(); r.selectNodeContents(cell);
                     return r.getClientRects()[0].bottom; }""",
        row.locator('td[data-field="accuracy"]').element_handle(),
    )
    number_bottom = cells["offered"]["text"][1]
    callbacks_bottom = cells["callbacks"]["text"][1]
    assert abs(first_line - number_bottom) <= 4 and abs(callbacks_bottom - number_bottom) <= 4, (
        first_line, callbacks_bottom, number_bottom)
