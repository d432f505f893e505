"""The search page in a real browser: headless Debian Chromium driven by selenium, app under waitress."""
from __future__ import annotations

import json
import re
import shutil
import struct
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from search import rebuild
from web import create_app
from web.screenshots import CHROMEDRIVER, CHROMIUM, chromium, serve, set_viewport, take_screenshots

pytestmark = pytest.mark.slow

if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip("Debian chromium and chromium-driver are not installed (run: make browser)", allow_module_level=True)
selenium = pytest.importorskip("selenium")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "index_data" / "articles"

# Enough small articles about "đại hội" in a few provinces to page through with size=2.
EXTRA_ARTICLES = [
    {"id": f"extra-{n}", "title": title, "text": text, "published": published, "province": province,
     "category": "Thời sự", "source": source}
    for n, (title, text, published, province, source) in enumerate([
        ("Đại hội Đoàn thanh niên tỉnh Long An", "Đại hội Đoàn thanh niên tỉnh Long An lần thứ XI bầu ban chấp hành mới.",
         "2022-10-05", "Long An", "Báo Long An"),
        ("Long An chuẩn bị đại hội thi đua yêu nước", "Tỉnh Long An chuẩn bị đại hội thi đua yêu nước lần thứ VI.",
         "2020-08-12", "Long An", "Báo Long An"),
        ("Bắc Ninh tổ chức đại hội đại biểu phụ nữ", "Đại hội đại biểu phụ nữ tỉnh Bắc Ninh nhiệm kỳ 2021 – 2026.",
         "2021-07-20", "Bắc Ninh", "Cổng TTĐT Bắc Ninh"),
        ("Hà Nội: đại hội thể dục thể thao các cấp", "Hà Nội tổ chức đại hội thể dục thể thao cấp cơ sở.",
         "2022-03-01", "Hà Nội", "Hà Nội mới"),
        ("Đà Nẵng tổng kết đại hội cổ đông", "Các doanh nghiệp Đà Nẵng tổng kết mùa đại hội cổ đông.",
         "2023-05-18", "Đà Nẵng", "Báo Đà Nẵng"),
        ("Cần Thơ: đại hội hội nông dân", "Đại hội Hội Nông dân thành phố Cần Thơ lần thứ X thành công tốt đẹp.",
         "2019-11-02", "Cần Thơ", "Báo Cần Thơ"),
    ])
]
# Articles in more provinces (none about "đại hội"), so the province facet needs "Xem thêm".
EXTRA_ARTICLES += [
    {"id": f"weather-{n}", "title": f"Dự báo thời tiết {province}", "published": "2024-06-0" + str(n + 1),
     "text": f"Thời tiết {province} hôm nay có mưa rào và dông rải rác vào chiều tối.", "province": province}
    for n, province in enumerate(["Nghệ An", "Quảng Nam", "Quảng Ninh", "Lào Cai", "Kiên Giang", "Gia Lai",
                                  "Thừa Thiên Huế", "Khánh Hòa"])
]
QUERY = "dai hoi"
# Waits end as soon as the page is there; only a hung browser or server waits this long.
WAIT_SECONDS = 60


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    source = tmp_path_factory.mktemp("browser-source")
    shutil.copytree(SAMPLES, source / "samples")
    (source / "extra.json").write_text(json.dumps(EXTRA_ARTICLES, ensure_ascii=False), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("browser-index")
    rebuild(source, index_dir)
    with serve(create_app(index_dir=index_dir)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        driver.set_page_load_timeout(WAIT_SECONDS)
        yield driver


@pytest.fixture()
def driver(browser):
    set_viewport(browser, 1280, 900)
    return browser


def api(base_url: str, path: str) -> dict:
    with urllib.request.urlopen(base_url + path, timeout=WAIT_SECONDS) as response:
        return json.load(response)


def wait_for(driver, predicate, timeout: float = WAIT_SECONDS):
    return WebDriverWait(driver, timeout).until(lambda d: predicate(d))


def url_params(driver) -> dict[str, list[str]]:
    return parse_qs(urlsplit(driver.current_url).query)


def total_shown(driver) -> int:
    text = driver.find_element(By.ID, "summary").text
    match = re.fullmatch(r"Tìm thấy ([\d.]+) bài viết \(\d+,\d{3} giây\)", text)
    assert match, text
    return int(match.group(1).replace(".", ""))


def chips(driver) -> list[str]:
    return [" ".join(c.text.split()) for c in driver.find_elements(By.CSS_SELECTOR, ".chip")]


def test_typing_a_query_shows_highlighted_hits(driver, base_url):
    driver.get(base_url + "/")
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(QUERY, Keys.ENTER)
    wait_for(driver, lambda d: url_params(d).get("q") == [QUERY])
    assert total_shown(driver) == api(base_url, "/api/search?q=dai+hoi")["total"]
    marks = driver.find_elements(By.CSS_SELECTOR, ".hit mark")
    assert marks and all(m.text.lower() in ("đại", "hội", "đại hội") for m in marks)
    assert driver.find_element(By.ID, "q").get_attribute("value") == QUERY


def test_ticking_a_province_filters_and_adds_a_removable_chip(driver, base_url):
    driver.get(f"{base_url}/search?q=dai+hoi")
    before = total_shown(driver)
    driver.find_element(By.CSS_SELECTOR, 'input[name="province"][value="Long An"]').click()
    wait_for(driver, lambda d: url_params(d).get("province") == ["Long An"])  # app.js submitted the form
    after = total_shown(driver)
    assert 0 < after < before
    assert after == api(base_url, "/api/search?q=dai+hoi&province=Long+An")["total"]
    assert "Tỉnh/thành: Long An ×" in chips(driver)
    assert driver.find_element(By.CSS_SELECTOR, 'input[name="province"][value="Long An"]').is_selected()

    driver.find_element(By.CSS_SELECTOR, ".chip-remove").click()
    wait_for(driver, lambda d: "province" not in url_params(d))
    assert chips(driver) == []
    assert total_shown(driver) == before
    assert url_params(driver)["q"] == [QUERY]


def test_year_bar_toggles_the_year(driver, base_url):
    driver.get(f"{base_url}/search?q=dai+hoi")
    driver.find_element(By.CSS_SELECTOR, '.year-chart a[data-year="2022"] .bar-fill').click()
    wait_for(driver, lambda d: url_params(d).get("year") == ["2022"])
    assert "Năm: 2022 ×" in chips(driver)
    assert total_shown(driver) == api(base_url, "/api/search?q=dai+hoi&year=2022")["total"]


def test_paging_forward_shows_the_next_hits(driver, base_url):
    driver.get(f"{base_url}/search?q=dai+hoi&size=2")
    first_page = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, ".hit-title a")]
    driver.find_element(By.LINK_TEXT, "Sau ›").click()
    wait_for(driver, lambda d: url_params(d).get("page") == ["2"])
    second_page = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, ".hit-title a")]
    assert len(second_page) == 2 and not set(first_page) & set(second_page)
    assert driver.find_element(By.CSS_SELECTOR, '.pagination [aria-current="page"]').text == "2"
    assert driver.find_element(By.CSS_SELECTOR, "ol.hits").get_attribute("start") == "3"


def test_article_shows_highlighted_terms_and_leads_back_to_the_results(driver, base_url):
    search_url = f"{base_url}/search?q=dai+hoi&province=Long+An&size=2"
    driver.get(search_url)
    driver.find_element(By.CSS_SELECTOR, ".hit-title a").click()
    wait_for(driver, lambda d: "/articles/" in d.current_url)
    assert driver.find_elements(By.CSS_SELECTOR, ".article-text mark, .article h1 mark")
    driver.find_element(By.PARTIAL_LINK_TEXT, "Quay lại kết quả tìm kiếm").click()
    wait_for(driver, lambda d: urlsplit(d.current_url).path == "/search")
    assert url_params(driver) == parse_qs(urlsplit(search_url).query)


def test_following_the_suggestion_runs_it(driver, base_url):
    misspelled = "đại hộii"
    suggestion = api(base_url, f"/api/search?q={quote(misspelled)}")["suggestion"]
    assert suggestion == "đại hội"
    driver.get(f"{base_url}/search?q={quote(misspelled)}")
    link = driver.find_element(By.CSS_SELECTOR, ".suggestion a")
    assert link.text == suggestion
    link.click()
    wait_for(driver, lambda d: url_params(d).get("q") == [suggestion])
    assert driver.find_element(By.ID, "q").get_attribute("value") == suggestion


def test_phone_width_has_no_horizontal_scroll(browser, base_url):
    set_viewport(browser, 375, 812, mobile=True)
    browser.get(f"{base_url}/search?q=dai+hoi&province=Long+An")
    overflow = browser.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def png_size(path: Path) -> tuple[int, int]:
    with open(path, "rb") as image:
        header = image.read(24)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_screenshots_at_desktop_and_phone_width(browser, base_url, tmp_path):
    paths = take_screenshots(browser, f"{base_url}/search?q=dai+hoi", tmp_path)
    assert [png_size(p) for p in paths] == [(1280, 900), (390, 844)]


# ---- by keyboard (SPEC §7) -------------------------------------------------------------------

def active(driver):
    return driver.switch_to.active_element


def press(driver, *keys):
    active(driver).send_keys(*keys)


def tab_stops_to_first_result(driver) -> list:
    """Tab from the top of the page until the first hit's link has focus; every element passed."""
    first = driver.find_element(By.CSS_SELECTOR, ".hit-title a")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    stops = [active(driver)]
    while stops[-1] != first:
        assert len(stops) < 200, "the first result is not reachable by Tab"
        press(driver, Keys.TAB)
        stops.append(active(driver))
    return stops


def test_the_skip_link_is_the_first_tab_stop_and_reaches_the_first_result(driver, base_url):
    driver.get(f"{base_url}/search?q=dai+hoi")
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    assert active(driver).text == "Chuyển đến kết quả"
    assert active(driver).is_displayed()  # it shows itself when focused
    press(driver, Keys.ENTER)
    press(driver, Keys.TAB)
    assert active(driver) == driver.find_element(By.CSS_SELECTOR, ".hit-title a")  # 2 Tabs and Enter


def test_each_facet_value_is_one_tab_stop(driver, base_url):
    driver.get(f"{base_url}/search?q=dai+hoi")
    stops = tab_stops_to_first_result(driver)
    in_facet_values = [s for s in stops if s.find_elements(By.XPATH, "ancestor::li[contains(@class, 'facet-value')]")]
    visible_boxes = [b for b in driver.find_elements(By.CSS_SELECTOR, ".facet-value input") if b.is_displayed()]
    assert in_facet_values == visible_boxes
    assert all(s.get_attribute("type") == "checkbox" for s in in_facet_values)
    assert not [s for s in stops if s.find_elements(By.XPATH, "ancestor::*[local-name()='svg']")]
    assert len(stops) < 60  # was 84 with two stops per value and every year bar


def test_toggling_a_facet_value_by_keyboard_keeps_focus_on_it(driver, base_url):
    driver.get(f"{base_url}/search?q=dai+hoi")
    box = driver.find_element(By.CSS_SELECTOR, 'input[name="province"][value="Long An"]')
    driver.execute_script("arguments[0].focus()", box)
    press(driver, Keys.SPACE)
    wait_for(driver, lambda d: url_params(d).get("province") == ["Long An"])
    wait_for(driver, lambda d: active(d).get_attribute("id") == "f-province-long-an")
    assert active(driver).is_selected()
    press(driver, Keys.SPACE)
    wait_for(driver, lambda d: "province" not in url_params(d))
    wait_for(driver, lambda d: active(d).get_attribute("id") == "f-province-long-an")
    assert not active(driver).is_selected()


def test_focus_comes_back_inside_xem_them_and_wins_over_autofocus(driver, base_url):
    driver.get(f"{base_url}/")
    assert active(driver).get_attribute("id") == "q"  # the home page: ready to type
    more = driver.find_element(By.CSS_SELECTOR, 'section[data-facet="province"] details.facet-more')
    more.find_element(By.TAG_NAME, "summary").click()
    box = more.find_elements(By.CSS_SELECTOR, 'input[type="checkbox"]')[-1]
    value, ident = box.get_attribute("value"), box.get_attribute("id")
    driver.execute_script("arguments[0].focus()", box)
    press(driver, Keys.SPACE)
    wait_for(driver, lambda d: url_params(d).get("province") == [value])
    wait_for(driver, lambda d: active(d).get_attribute("id") == ident)
    press(driver, Keys.SPACE)  # unticked, it may sit in a closed "Xem thêm" again: opened for it
    wait_for(driver, lambda d: "province" not in url_params(d))
    wait_for(driver, lambda d: active(d).get_attribute("id") == ident)
    assert active(driver).is_displayed()


def test_only_the_home_page_focuses_the_search_box(driver, base_url):
    driver.get(f"{base_url}/search?q=dai+hoi")
    assert active(driver).get_attribute("id") != "q"


def test_the_form_leaves_empty_and_default_fields_out_of_the_url(driver, base_url):
    driver.get(f"{base_url}/")
    assert driver.find_element(By.CSS_SELECTOR, "#sort option:checked").text == "Mới nhất"
    press(driver, QUERY, Keys.ENTER)
    wait_for(driver, lambda d: url_params(d).get("q") == [QUERY])
    assert urlsplit(driver.current_url).query == "q=dai+hoi"  # no from=&to=&sort=
    assert driver.find_element(By.CSS_SELECTOR, "#sort option:checked").text == "Liên quan nhất"
    driver.find_element(By.CSS_SELECTOR, '#sort option[value="newest"]').click()
    wait_for(driver, lambda d: urlsplit(d.current_url).query == "q=dai+hoi&sort=newest")
    assert active(driver).get_attribute("id") == "sort"
    driver.find_element(By.XPATH, '//select[@id="sort"]/option[.="Liên quan nhất"]').click()
    wait_for(driver, lambda d: urlsplit(d.current_url).query == "q=dai+hoi")


def test_the_filter_box_narrows_a_long_facet(driver, base_url):
    driver.get(f"{base_url}/")
    section = driver.find_element(By.CSS_SELECTOR, 'section[data-facet="province"]')
    more = section.find_element(By.CSS_SELECTOR, "details.facet-more")
    assert not more.get_attribute("open")
    box = section.find_element(By.CSS_SELECTOR, "input.facet-filter")
    assert box.is_displayed()
    box.send_keys("khanh hoa")  # without marks, as filter values match
    shown = [li.text.split("\n")[0] for li in section.find_elements(By.CSS_SELECTOR, "li.facet-value")
             if li.is_displayed()]
    assert shown == ["Khánh Hòa"]
    for _ in range(len("khanh hoa")):
        box.send_keys(Keys.BACKSPACE)
    assert not more.get_attribute("open")
    assert len([li for li in section.find_elements(By.CSS_SELECTOR, "li.facet-value") if li.is_displayed()]) == 8


def test_the_article_page_lists_related_articles_that_open(driver, base_url):
    driver.get(f"{base_url}/articles/extra-1?q=dai+hoi")
    section = driver.find_element(By.CSS_SELECTOR, "section.related")
    assert section.find_element(By.TAG_NAME, "h2").text == "Bài liên quan"
    links = section.find_elements(By.CSS_SELECTOR, ".related-list a")
    expected = [hit["id"] for hit in api(base_url, "/api/articles/extra-1/related")["hits"]]
    assert links and len(links) == len(expected) <= 5
    shown = [urlsplit(a.get_attribute("href")).path.removeprefix("/articles/") for a in links]
    assert shown == [quote(i) for i in expected] and "extra-1" not in shown
    title = links[0].text
    links[0].click()
    wait_for(driver, lambda d: urlsplit(d.current_url).path == f"/articles/{quote(expected[0])}")
    assert driver.find_element(By.CSS_SELECTOR, ".article h1").text == title
    assert url_params(driver).get("q") == ["dai hoi"]  # the search still leads back
