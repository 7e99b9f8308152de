from airbnb_core.domain.pagination import Page


def test_a_row_past_the_limit_means_a_next_page_after_the_last_item_kept() -> None:
    page = Page.from_overfetch([1, 2, 3], 2, lambda last: f"after {last}")
    assert (list(page.items), page.next_cursor) == ([1, 2], "after 2")


def test_rows_within_the_limit_are_the_last_page() -> None:
    assert Page.from_overfetch([1, 2], 2, lambda last: f"after {last}") == Page([1, 2], None)
    assert Page.from_overfetch([], 2, lambda last: f"after {last}") == Page([], None)


def test_a_page_converted_item_by_item_keeps_its_cursor() -> None:
    assert Page([1, 2], "next").map(str) == Page(["1", "2"], "next")
