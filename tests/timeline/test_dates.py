"""Specification of timeline.dates: EDTF dates as editors write them."""

import datetime

import pytest

from timeline import dates
from timeline.dates import EdtfDate, InvalidDate, bounds, display, is_valid, parse

D = datetime.date


# --- display ---

DISPLAYS = [
    # EDTF, French, English
    ("2025-03-27", "27 mars 2025", "27 March 2025"),
    ("2025-03-01", "1er mars 2025", "1 March 2025"),
    ("2022-10", "octobre 2022", "October 2022"),
    ("2015", "2015", "2015"),
    ("2023-05-16/2023-05-20", "16–20 mai 2023", "16–20 May 2023"),
    ("2023-05-30/2023-06-02", "30 mai – 2 juin 2023", "30 May – 2 June 2023"),
    (
        "2023-12-30/2024-01-02",
        "30 décembre 2023 – 2 janvier 2024",
        "30 December 2023 – 2 January 2024",
    ),
    ("2023-05/2023-07", "mai–juillet 2023", "May–July 2023"),
    ("2019/2021", "2019–2021", "2019–2021"),
    ("2025-12~", "vers décembre 2025", "about December 2025"),
    ("2025~", "vers 2025", "about 2025"),
    ("2025-12?", "décembre 2025 (date incertaine)", "December 2025 (uncertain)"),
    ("2025-12%", "vers décembre 2025 (date incertaine)", "about December 2025 (uncertain)"),
]

SEASONS = [
    ("2022-21", "printemps 2022", "spring 2022"),
    ("2022-22", "été 2022", "summer 2022"),
    ("2022-23", "automne 2022", "autumn 2022"),
    ("2022-24", "hiver 2022", "winter 2022"),
]


@pytest.mark.parametrize(("edtf", "french", "english"), DISPLAYS)
def test_it_displays_a_date_in_french(edtf, french, english):
    assert display(edtf, "fr") == french


@pytest.mark.parametrize(("edtf", "french", "english"), DISPLAYS)
def test_it_displays_a_date_in_english(edtf, french, english):
    assert display(edtf, "en") == english


@pytest.mark.parametrize(("edtf", "french", "english"), SEASONS)
def test_it_displays_a_season_in_french(edtf, french, english):
    assert display(edtf, "fr") == french


@pytest.mark.parametrize(("edtf", "french", "english"), SEASONS)
def test_it_displays_a_season_in_english(edtf, french, english):
    assert display(edtf, "en") == english


def test_it_displays_in_french_by_default():
    assert display("2025-03-27") == "27 mars 2025"


@pytest.mark.parametrize("lang", ["de", "", "xx"])
def test_it_falls_back_to_french_for_other_languages(lang):
    assert display("2022-10", lang) == "octobre 2022"


@pytest.mark.parametrize(
    ("lang", "expected"), [("en-gb", "October 2022"), ("fr-FR", "octobre 2022")]
)
def test_it_reads_the_language_from_a_regional_code(lang, expected):
    assert display("2022-10", lang) == expected


def test_it_displays_a_parsed_date_as_well_as_a_string():
    assert display(parse("2023-05/2023-07"), "en") == "May–July 2023"


def test_it_uses_an_en_dash_in_ranges():
    assert "\u2013" in display("2019/2021")
    assert "-" not in display("2019/2021")


def test_it_says_about_the_day_in_french_with_le():
    assert display("2025-03-01~", "fr") == "vers le 1er mars 2025"
    assert display("2025-03-01~", "en") == "about 1 March 2025"


@pytest.mark.parametrize(
    ("edtf", "french", "english"),
    [
        ("2025-01~/2025-03", "vers janvier 2025 – mars 2025", "about January 2025 – March 2025"),
        ("2025-01/2025-03~", "janvier 2025 – vers mars 2025", "January 2025 – about March 2025"),
        (
            "2025-01?/2025-03",
            "janvier 2025 (date incertaine) – mars 2025",
            "January 2025 (uncertain) – March 2025",
        ),
        ("2019/2021?", "2019 – 2021 (date incertaine)", "2019 – 2021 (uncertain)"),
        (
            "2025-06?/2025-08~",
            "juin 2025 (date incertaine) – vers août 2025",
            "June 2025 (uncertain) – about August 2025",
        ),
    ],
)
def test_it_shows_a_qualifier_on_the_end_of_a_range_it_belongs_to(edtf, french, english):
    # Each end is written in full so the qualifier cannot be read as covering the whole range.
    assert display(edtf, "fr") == french
    assert display(edtf, "en") == english


@pytest.mark.parametrize(
    ("edtf", "french", "english"),
    [
        ("2023-05/2023-06-15", "mai – 15 juin 2023", "May – 15 June 2023"),
        ("2023-05-16/2023-06", "16 mai – juin 2023", "16 May – June 2023"),
        ("2025/2025-06", "2025 – juin 2025", "2025 – June 2025"),
        ("2023-11/2024", "novembre 2023 – 2024", "November 2023 – 2024"),
        ("2022-21/2022-22", "printemps–été 2022", "spring–summer 2022"),
        ("2022-24/2023-21", "hiver 2022 – printemps 2023", "winter 2022 – spring 2023"),
        ("2023-05-01/2023-05-03", "1er–3 mai 2023", "1–3 May 2023"),
    ],
)
def test_it_displays_mixed_precision_ranges_sensibly(edtf, french, english):
    assert display(edtf, "fr") == french
    assert display(edtf, "en") == english


def test_it_displays_a_range_with_equal_ends_as_a_single_date():
    assert display("2025-03-27/2025-03-27", "fr") == "27 mars 2025"


def test_display_rejects_an_invalid_date():
    with pytest.raises(InvalidDate):
        display("2025-13")


# --- the three meanings: point, span, window ---

MEANINGS = [
    # EDTF, meaning, lower, upper, anchor, French, English
    ("2025-03-27", "point", D(2025, 3, 27), D(2025, 3, 27), D(2025, 3, 27),
     "27 mars 2025", "27 March 2025"),
    ("2025-11", "point", D(2025, 11, 1), D(2025, 11, 30), D(2025, 11, 1),
     "novembre 2025", "November 2025"),
    ("2025-12~", "point", D(2025, 12, 1), D(2025, 12, 31), D(2025, 12, 1),
     "vers décembre 2025", "about December 2025"),
    ("2023-05-16/2023-05-20", "span", D(2023, 5, 16), D(2023, 5, 20), D(2023, 5, 16),
     "16–20 mai 2023", "16–20 May 2023"),
    ("[2023-05-16..2023-05-20]", "window", D(2023, 5, 16), D(2023, 5, 20), D(2023, 5, 16),
     "entre le 16 et le 20 mai 2023", "between 16 and 20 May 2023"),
    ("[2023-05-01..2023-05-03]", "window", D(2023, 5, 1), D(2023, 5, 3), D(2023, 5, 1),
     "entre le 1er et le 3 mai 2023", "between 1 and 3 May 2023"),
    ("[2023-05-30..2023-06-02]", "window", D(2023, 5, 30), D(2023, 6, 2), D(2023, 5, 30),
     "entre le 30 mai et le 2 juin 2023", "between 30 May and 2 June 2023"),
    ("[2023-12-30..2024-01-02]", "window", D(2023, 12, 30), D(2024, 1, 2), D(2023, 12, 30),
     "entre le 30 décembre 2023 et le 2 janvier 2024",
     "between 30 December 2023 and 2 January 2024"),
    ("[2023-05..2023-07]", "window", D(2023, 5, 1), D(2023, 7, 31), D(2023, 5, 1),
     "entre mai et juillet 2023", "between May and July 2023"),
    ("[2019..2021]", "window", D(2019, 1, 1), D(2021, 12, 31), D(2019, 1, 1),
     "entre 2019 et 2021", "between 2019 and 2021"),
    # Known only to be before (after) a date: the open end reaches the supported range's edge.
    ("[..2025-11-24]", "window", D(1900, 1, 1), D(2025, 11, 24), D(2025, 11, 24),
     "avant le 24 novembre 2025", "before 24 November 2025"),
    ("[2025-11..]", "window", D(2025, 11, 1), D(2100, 12, 31), D(2025, 11, 1),
     "après novembre 2025", "after November 2025"),
    ("[2023-05-16,2023-05-18]", "window", D(2023, 5, 16), D(2023, 5, 18), D(2023, 5, 16),
     "le 16 mai 2023 ou le 18 mai 2023", "16 May 2023 or 18 May 2023"),
    ("[2020,2021]", "window", D(2020, 1, 1), D(2021, 12, 31), D(2020, 1, 1),
     "2020 ou 2021", "2020 or 2021"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edtf", "meaning", "lower", "upper", "anchor", "french", "english"), MEANINGS
)
def test_it_keeps_the_three_meanings_apart(edtf, meaning, lower, upper, anchor, french, english):
    date = parse(edtf)
    assert date.text == edtf
    assert date.meaning == meaning == dates.meaning(edtf)
    assert (date.lower, date.upper, date.anchor) == (lower, upper, anchor)
    assert display(edtf, "fr") == french
    assert display(edtf, "en") == english


def test_a_window_has_no_qualifier_and_says_so_in_its_precision():
    date = parse("[..2025-11-24]")
    assert (date.precision, date.approximate, date.uncertain) == ("window", False, False)
    assert (date.open_start, date.open_end) == (True, False)
    assert parse("[2025-11..]").open_end is True


def test_it_normalises_the_spaces_of_a_window():
    assert parse(" [2023-05-16 .. 2023-05-20] ").text == "[2023-05-16..2023-05-20]"
    assert parse("[2023-05-16, 2023-05-18]").text == "[2023-05-16,2023-05-18]"


def test_only_an_exact_day_is_a_day():
    assert parse("2025-03-27").is_day
    assert not parse("2025-03-27~").is_day
    assert not parse("[2025-03-27..2025-03-28]").is_day
    assert not parse("2025-03").is_day


# --- parse: text, flags and precision ---


def test_it_strips_the_text():
    assert parse(" 2015 ").text == "2015"


def test_it_keeps_the_text_as_written():
    for text in ["2025-03-27", "2025-12~", "2025-12%", "2025-01~/2025-03", "2022-24"]:
        assert parse(text).text == text


def test_it_normalises_spaces_around_the_slash_of_a_range():
    assert parse("2023-05-16 / 2023-05-20").text == "2023-05-16/2023-05-20"


def test_parse_returns_an_immutable_edtf_date():
    date = parse("2025-03-27")
    assert isinstance(date, EdtfDate)
    with pytest.raises(AttributeError):
        date.text = "2024"


@pytest.mark.parametrize(
    ("edtf", "precision"),
    [
        ("2025-03-27", "day"),
        ("2025-03", "month"),
        ("2025-21", "season"),
        ("2025", "year"),
        ("2025-12~", "month"),
        ("2023-05-16/2023-05-20", "interval"),
        ("2023-05/2023-06-15", "interval"),
    ],
)
def test_it_knows_the_precision(edtf, precision):
    assert parse(edtf).precision == precision


@pytest.mark.parametrize(
    ("edtf", "approximate", "uncertain"),
    [
        ("2025-12", False, False),
        ("2025-12~", True, False),
        ("2025-12?", False, True),
        ("2025-12%", True, True),
        ("2025-01~/2025-03", True, False),
        ("2025-01/2025-03?", False, True),
    ],
)
def test_it_flags_approximate_and_uncertain_dates(edtf, approximate, uncertain):
    date = parse(edtf)
    assert (date.approximate, date.uncertain) == (approximate, uncertain)


# --- bounds ---

BOUNDS = [
    ("2025-03-27", D(2025, 3, 27), D(2025, 3, 27)),
    ("2025-03-01", D(2025, 3, 1), D(2025, 3, 1)),
    ("2022-10", D(2022, 10, 1), D(2022, 10, 31)),
    ("2015", D(2015, 1, 1), D(2015, 12, 31)),
    ("2023-05-16/2023-05-20", D(2023, 5, 16), D(2023, 5, 20)),
    ("2023-05-30/2023-06-02", D(2023, 5, 30), D(2023, 6, 2)),
    ("2023-12-30/2024-01-02", D(2023, 12, 30), D(2024, 1, 2)),
    ("2023-05/2023-07", D(2023, 5, 1), D(2023, 7, 31)),
    ("2019/2021", D(2019, 1, 1), D(2021, 12, 31)),
    ("2023-05/2023-06-15", D(2023, 5, 1), D(2023, 6, 15)),
    ("2022-21", D(2022, 3, 1), D(2022, 5, 31)),
    ("2022-22", D(2022, 6, 1), D(2022, 8, 31)),
    ("2022-23", D(2022, 9, 1), D(2022, 11, 30)),
    ("2022-24", D(2022, 12, 1), D(2023, 2, 28)),
    ("2022-23/2022-24", D(2022, 9, 1), D(2023, 2, 28)),
    ("2025-12~", D(2025, 12, 1), D(2025, 12, 31)),
    ("2025~", D(2025, 1, 1), D(2025, 12, 31)),
    ("2025-12?", D(2025, 12, 1), D(2025, 12, 31)),
    ("2025-12%", D(2025, 12, 1), D(2025, 12, 31)),
    ("2025-01~/2025-03", D(2025, 1, 1), D(2025, 3, 31)),
    ("1900", D(1900, 1, 1), D(1900, 12, 31)),
    ("2100-12-31", D(2100, 12, 31), D(2100, 12, 31)),
]


@pytest.mark.parametrize(("edtf", "lower", "upper"), BOUNDS)
def test_it_gives_strict_bounds(edtf, lower, upper):
    date = parse(edtf)
    assert (date.lower, date.upper) == (lower, upper)
    assert bounds(edtf) == (lower, upper)


def test_approximate_dates_keep_strict_bounds_not_fuzzy_ones():
    assert bounds("2025-12~") == (D(2025, 12, 1), D(2025, 12, 31))


def test_winter_ends_on_the_last_day_of_february_of_the_next_year():
    assert bounds("2022-24") == (D(2022, 12, 1), D(2023, 2, 28))


def test_winter_before_a_leap_year_ends_on_29_february():
    assert bounds("2023-24") == (D(2023, 12, 1), D(2024, 2, 29))


def test_winter_of_a_leap_year_ends_on_28_february():
    assert bounds("2024-24") == (D(2024, 12, 1), D(2025, 2, 28))


def test_february_of_a_leap_year_has_29_days():
    assert bounds("2024-02") == (D(2024, 2, 1), D(2024, 2, 29))
    assert bounds("2023-02") == (D(2023, 2, 1), D(2023, 2, 28))
    assert bounds("2024-02-29") == (D(2024, 2, 29), D(2024, 2, 29))


def test_1900_was_not_a_leap_year():
    assert bounds("1900-02") == (D(1900, 2, 1), D(1900, 2, 28))


def test_bounds_rejects_an_invalid_date():
    with pytest.raises(InvalidDate):
        bounds("garbage")


# --- rejections ---

REJECTIONS = [
    # text, words the message must contain (case-insensitive)
    ("", "empty"),
    ("   ", "empty"),
    ("garbage", "not a date we understand"),
    ("2025-13", "months go from 01 to 12"),
    ("2025-00", "months go from 01 to 12"),
    ("2025-02-30", "february 2025 has 28 days"),
    ("2025-02-29", "february 2025 has 28 days"),
    ("2025-06-31", "june 2025 has 30 days"),
    ("2025-06-31/2025-07-02", "june 2025 has 30 days"),
    ("2025-12-31/2025-01-01", "end of the range (2025-01-01) is before its start (2025-12-31)"),
    ("2025/2024", "end of the range (2024) is before its start (2025)"),
    ("../2025", "open-ended ranges are not supported"),
    ("2025/..", "open-ended ranges are not supported"),
    ("2023-05-16/..", "open-ended ranges are not supported"),
    ("2025/", "open-ended ranges are not supported"),
    ("/2025", "open-ended ranges are not supported"),
    ("2025-25", "season code 25 is not supported"),
    ("2022-33", "season code 33 is not supported"),
    ("[2025~..2026]", "not a window we understand"),
    ("[2025-11-24..2025-11-20]", "end of the window (2025-11-20) is before its start"),
    ("[2025,2024]", "earliest first"),
    ("[2101..]", "between 1900 and 2100; 2101 is outside"),
    ("[..1899-12-31]", "between 1900 and 2100; 1899 is outside"),
    ("{2020,2021}", "sets of dates"),
    ("Y170000002", "years written with y or an exponent are not supported"),
    ("Y-17E7", "years written with y or an exponent are not supported"),
    ("201X", "unspecified digits (x) are not supported"),
    ("2025-1X", "unspecified digits (x) are not supported"),
    ("2025-12-XX", "unspecified digits (x) are not supported"),
    ("?2025", "qualifier (~, ? or %) must follow the whole date"),
    ("2004-06~-11", "qualifier (~, ? or %) must follow the whole date"),
    ("2004-06-~01/2004-06-~20", "qualifier (~, ? or %) must follow the whole date"),
    ("2020-05-16T10:00:00", "times are not supported"),
    ("1950S2", "significant digits"),
    ("1899", "between 1900 and 2100; 1899 is outside"),
    ("2101-01-01", "between 1900 and 2100; 2101 is outside"),
    ("1850/2025", "between 1900 and 2100; 1850 is outside"),
    ("-2025", "between 1900 and 2100"),
    ("0000", "between 1900 and 2100"),
]


@pytest.mark.parametrize(("text", "message"), REJECTIONS)
def test_it_rejects_what_it_cannot_store_and_says_why(text, message):
    with pytest.raises(InvalidDate) as caught:
        parse(text)
    assert type(caught.value) is InvalidDate
    assert message in str(caught.value).lower()


@pytest.mark.parametrize(("text", "message"), REJECTIONS)
def test_is_valid_is_false_for_what_parse_rejects(text, message):
    assert is_valid(text) is False


def test_invalid_date_is_a_value_error():
    assert issubclass(InvalidDate, ValueError)


def test_it_rejects_text_that_is_not_a_string():
    with pytest.raises(InvalidDate, match="text"):
        parse(None)


def test_rejection_messages_are_sentences():
    for text, _ in REJECTIONS:
        with pytest.raises(InvalidDate) as caught:
            parse(text)
        message = str(caught.value)
        assert message[0].isupper() or message[0] in "'0123456789", message
        assert message.endswith("."), message


def test_it_prints_nothing_when_rejecting(capsys):
    for text, _ in REJECTIONS:
        is_valid(text)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("edtf", [row[0] for row in BOUNDS + SEASONS] + [" 2015 "])
def test_is_valid_is_true_for_what_parse_accepts(edtf):
    assert is_valid(edtf) is True


def _samples() -> list[str]:
    """Every form the fast reader accepts, across leap and common years, plus near-misses."""
    points = []
    for year in (1900, 2023, 2024, 2100):
        points += [f"{year}", f"{year}~", f"{year}?", f"{year}%"]
        for month in (1, 2, 12, 13, 21, 22, 23, 24, 25):
            points += [f"{year}-{month:02d}", f"{year}-{month:02d}~"]
            for day in (1, 28, 29, 30, 31, 32):
                points.append(f"{year}-{month:02d}-{day:02d}")
    ranges = [f"{a}/{b}" for a in points[::13] for b in points[::29]]
    return points + ranges + ["1899", "2101", "2025-1", "2025-01-1", "2025/..", "2025//2026"]


@pytest.mark.parametrize("text", _samples())
def test_the_fast_reader_agrees_with_the_edtf_grammar(text):
    """The regular-expression reader must answer exactly as the edtf package would."""
    fast = dates._fast_read(text)
    try:
        grammar = dates._read_grammar(text)
    except dates.InvalidDate:
        assert fast is None
    else:
        assert fast is None or fast == grammar
