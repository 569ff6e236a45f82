"""Each step of the pipeline on its own (sentences → numbers with spans → role → area →
metric → qualifier → claim), on invented sentences, and the language tables as data."""
from __future__ import annotations

import csv
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flows.claims import extract_all, extract_claims
from flows.claims.attribution import DOCUMENT, attributed_to
from flows.claims.extract import is_headline, split_text_units
from flows.claims.grounding import grounding_problem
from flows.claims.numbers import find_numbers
from flows.claims.roles import role_of
from flows.claims.tables import find_tables, rounding_unit, split_cells, split_flat_digits, table_claims
from flows.claims.words import LANGUAGE_DIR, detect_language, word_numbers


def got(text):
    return [(c.area, c.metric, c.value if c.qualifier != "range" else (c.value_low, c.value_high),
             None if c.share is None else round(c.share, 3), c.qualifier) for c in extract_claims(text)]


# ----------------------------------------------------------------------------- data tables
@pytest.mark.parametrize("path", sorted(LANGUAGE_DIR.glob("*.csv")), ids=lambda p: p.name)
def test_every_language_table_parses_and_its_patterns_compile(path):
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = [r for r in reader if r and not r[0].startswith("#")]
    assert rows and all(len(r) == len(header) for r in rows), path.name
    if "pattern" in header:
        for row in rows:
            re.compile(row[header.index("pattern")])


# ----------------------------------------------------------------------------- language and words
@pytest.mark.parametrize("text,language", [
    ("The report said that more than 5,000 people have left.", "en"),
    ("Selon le ministère, les combattants sont partis pour la Syrie.", "fr"),
    ("Nach Angaben der Behörden sind die Islamisten nicht zurückgekehrt.", "de"),
    ("Volgens de politie zijn de meeste uitreizigers nog in Syrië.", "nl"),
    ("Según el informe, los combatientes han regresado a España.", "es"),
])
def test_detect_language(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize("text,language,values", [
    ("fifty-six hundred people from thirty-three countries", "en", [5600, 33]),
    ("sixty thousand to seventy thousand", "en", [60000, 70000]),
    ("quarante-cinq mineurs et deux cents femmes", "fr", [45, 200]),
    ("zwölf Frauen und zwanzig Kinder", "de", [12, 20]),
    ("vijfentwintig vrouwen en veertig kinderen", "nl", [25, 40]),
    ("treinta y cinco mujeres y mil quinientos hombres", "es", [35, 1500]),
    ("mehr als ein Dutzend", "de", [12]),
    ("une trentaine de ressortissants", "fr", [30]),
])
def test_numbers_in_words(text, language, values):
    assert [w.value for w in word_numbers(text, language)] == values


@pytest.mark.parametrize("text,language", [
    ('"several hundred" Indonesians', "en"), ("hundreds of fighters", "en"), ("one of the largest", "en"),
    ("un rapport du Congrès", "fr"), ("ein Bericht", "de"), ("een derde", "nl"), ("des centaines de jeunes", "fr"),
    ("the third largest source", "en"), ("cientos de yihadistas", "es"),
])
def test_words_that_are_not_figures(text, language):
    assert word_numbers(text, language) == []


@pytest.mark.parametrize("text,language,low,high,share", [
    ("between 15 to 20 percent of them", "en", None, None, (0.15, 0.2)),
    ("twenty to thirty per cent of them", "en", None, None, (0.2, 0.3)),
    ("At least 58 and up to 66 Australians", "en", 58, 66, None),
    ("at least 58 and potentially up to 66 people", "en", 58, 66, None),
    ("entre 2800 et 3000 personnes", "fr", 2800, 3000, None),
])
def test_ranges(text, language, low, high, share):
    [n] = [n for n in find_numbers(text, language) if n.is_value]
    assert n.qualifier == "range" and (n.low, n.high) == (low, high)
    assert (n.share_low, n.share_high) == (share or (None, None))


@pytest.mark.parametrize("text,language,share", [
    ("Een derde van hen is vrouw.", "nl", 1 / 3), ("un tiers des 900 Tunisiens", "fr", 1 / 3),
    ("ein Drittel von ihnen", "de", 1 / 3), ("la tercera parte de los yihadistas", "es", 1 / 3),
    ("la mitad de ellos", "es", 0.5),
])
def test_shares_in_words(text, language, share):
    [n] = [n for n in find_numbers(text, language) if n.kind == "share"]
    assert n.share == pytest.approx(share, abs=1e-5)


# ----------------------------------------------------------------------------- roles
@pytest.mark.parametrize("sentence,figure,language,role", [
    ("Compared to its population of just over 11.2 million, the rate is high.", "just over 11.2 million", "en", "population"),
    ("This equates to nearly 42 people per million who made the journey.", "nearly 42", "en", "per_capita"),
    ("The government said it had stopped 12 people from leaving.", "12", "en", "prevented"),
    ("les autorités ont pu empêcher environ 12.000 jeunes en partance", "environ 12.000", "fr", "prevented"),
    ("Die Behörden haben 150 Personen an der Ausreise gehindert.", "150", "de", "prevented"),
    ("a French national who killed four people at a museum", "four", "en", "victims"),
    ("“We have killed, in conservative estimates, sixty thousand to seventy thousand,” he said.",
     "sixty thousand to seventy thousand", "en", "victims"),
    ("Trois attentats ont fait 130 morts à Paris.", "130", "fr", "victims"),
    ("Some 40 women and fighters want to go home, he added.", "Some 40", "en", "intention"),
    ("Le Sénégal, qui compte 16 millions d'habitants, a vu partir une trentaine de jeunes.", "16", "fr", "population"),
])
def test_roles(sentence, figure, language, role):
    start = sentence.index(figure)
    assert role_of(sentence, start, start + len(figure), language) == role


@pytest.mark.parametrize("sentence,figure", [
    ("At least 58 Australians are believed to have been killed in Syria.", "At least 58"),
    ("Some 300 Swedes went to fight; 49 were killed.", "49"),
    ("Officials said 470 would-be jihadis had travelled from the country.", "470"),
])
def test_fighter_figures_have_no_other_role(sentence, figure):
    start = sentence.index(figure)
    assert role_of(sentence, start, start + len(figure), "en") is None


# ----------------------------------------------------------------------------- areas, metrics, claims
@pytest.mark.parametrize("text,expected", [
    # distributive each, in five languages
    ("Spain and Italy each had 200 returnees, officials said.",
     [("ESP", "returned", 200, None, "exact"), ("ITA", "returned", 200, None, "exact")]),
    ("La France et la Belgique comptent chacune 40 mineurs rapatriés.",
     [("FRA", "minors", 40, None, "exact"), ("BEL", "minors", 40, None, "exact")]),
    ("Dänemark und Norwegen meldeten jeweils 60 Rückkehrer.",
     [("DNK", "returned", 60, None, "exact"), ("NOR", "returned", 60, None, "exact")]),
    # a place in the possessive or naming an actor is not the origin of the figure
    ("Before Turkey's offensive, 300 guards watched the camp.", []),
    # a share needs a word for what happened to it
    ("Twenty percent of the Belgian fighters from Antwerp.", []),
    # "the country" refers back
    ("Austria has a serious problem. Officials said 300 people had travelled from the country to Syria.",
     [("AUT", "travelled", 300, None, "exact")]),
    # other conflicts are not figures of this one, and their places are not origins
    ("More than 20,000 foreign fighters have travelled to Syria, surpassing the 10,000 to 20,000 who went to "
     "Afghanistan in the 1980s.", []),
    ("Some 5,000 Tunisians have joined, compared with about 1,000 who fought in the Bosnian war.",
     [("TUN", "travelled", 5000, None, "approx")]),
    # present: still in the conflict zone
    ("About 110 Australians are still in Syria and Iraq, the minister said.", [("AUS", "present", 110, None, "approx")]),
])
def test_sentences(text, expected):
    assert got(text) == expected


# invented sentences in the four other languages, each with what a careful reader records
@pytest.mark.parametrize("text,expected", [
    ("Selon les services de renseignement, 450 Belges ont rejoint les rangs de l'État islamique.",
     [("BEL", "travelled", 450, None, "exact")]),
    ("Au total, 120 djihadistes français ont été tués en Syrie, d'après le parquet.", [("FRA", "killed", 120, None, "exact")]),
    ("Quelque 300 ressortissants marocains sont rentrés au pays depuis 2015.", [("MAR", "returned", 300, None, "approx")]),
    ("Près de la moitié des 600 Algériens partis sont morts au combat.",
     [("DZA", "killed", None, 0.5, "approx"), ("DZA", "travelled", 600, None, "exact")]),
    ("Plus de 80 femmes françaises sont détenues dans les camps kurdes.", [("FRA", "women", 80, None, "more_than")]),
    ("Según la Policía, 150 marroquíes han regresado a su país tras combatir en Siria.",
     [("MAR", "returned", 150, None, "exact")]),
    ("Al menos 40 combatientes españoles han muerto en Siria e Irak.", [("ESP", "killed", 40, None, "at_least")]),
    ("Casi 200 niños españoles siguen en los campos de Siria.", [("ESP", "minors", 200, None, "approx")]),
    ("Ruim 70 Belgen zijn in Syrië omgekomen, meldt het OCAM.", [("BEL", "killed", 70, None, "more_than")]),
    ("Er zitten 25 teruggekeerde Nederlanders in de gevangenis.", [("NLD", "detained", 25, None, "exact")]),
    ("Rund 80 Rückkehrer aus Österreich sitzen in Haft.", [("AUT", "detained", 80, None, "approx")]),
    ("Mindestens 150 deutsche Islamisten sind in Syrien und im Irak ums Leben gekommen.",
     [("DEU", "killed", 150, None, "at_least")]),
    ("Jordan, with a population of 10 million, has sent about 3,000 fighters.", [("JOR", "travelled", 3000, None, "approx")]),
    # "respectively" and ranges in words
    ("L'Algérie et la Libye ont vu partir respectivement 170 et 600 combattants.",
     [("DZA", "travelled", 170, None, "exact"), ("LBY", "travelled", 600, None, "exact")]),
    ("Francia y Bélgica registraron 1.700 y 500 salidas de combatientes, respectivamente.",
     [("FRA", "travelled", 1700, None, "exact"), ("BEL", "travelled", 500, None, "exact")]),
    ("Duitsland en Oostenrijk telden respectievelijk 960 en 320 vertrokken strijders.",
     [("DEU", "travelled", 960, None, "exact"), ("AUT", "travelled", 320, None, "exact")]),
    ("Entre deux cents et trois cents Belges ont rejoint Daech.", [("BEL", "travelled", (200, 300), None, "range")]),
    ("Zwischen zwanzig und dreißig Österreicher sind zurückgekehrt.", [("AUT", "returned", (20, 30), None, "range")]),
    ("Unos veinte o treinta marroquíes han regresado.", [("MAR", "returned", (20, 30), None, "range")]),
    ("Vingt et un Belges sont revenus.", [("BEL", "returned", 21, None, "exact")]),
])
def test_sentences_in_other_languages(text, expected):
    assert got(text) == expected


@pytest.mark.parametrize("text,expected", [
    ("Some 400 Belgians went to Syria. Ten percent of those who went have come home.",
     [("BEL", "travelled", 400, None, None), ("BEL", "returned", None, 0.1, "travelled")]),
    ("Un quart des 1 700 Français partis sont revenus en France.",
     [("FRA", "returned", None, 0.25, "travelled"), ("FRA", "travelled", 1700, None, None)]),
    ("Ein Viertel der 900 ausgereisten Deutschen ist zurückgekehrt.",
     [("DEU", "returned", None, 0.25, "travelled"), ("DEU", "travelled", 900, None, None)]),
    ("De helft van de 300 Nederlandse uitreizigers is omgekomen.",
     [("NLD", "killed", None, 0.5, "travelled"), ("NLD", "travelled", 300, None, None)]),
    ("El 30 por ciento de los 200 marroquíes que viajaron ha regresado.",
     [("MAR", "returned", None, 0.3, "travelled"), ("MAR", "travelled", 200, None, None)]),
])
def test_shares_with_their_base(text, expected):
    assert [(c.area, c.metric, c.value, None if c.share is None else round(c.share, 3), c.share_of)
            for c in extract_claims(text)] == expected


def test_the_region_a_text_is_about():
    text = ("Central Asia is a region of concern. The briefing on Central Asia said that "
            "about 500 people from the region have returned home.")
    assert got(text) == [("CASIA", "returned", 500, None, "approx")]


def test_a_headline_is_low_confidence_and_left_out():
    text = "Up to 300 Danes joined IS, report says\n\nThe report said that 145 Danes left for Syria.\n\nMore follows."
    result = extract_all(text)
    assert [(c.area, c.value) for c in result.claims] == [("DNK", 145)]
    assert [(c.area, c.value, c.confidence) for c in result.low_confidence] == [("DNK", 300, "low")]
    paragraphs = split_text_units(text)
    assert is_headline(paragraphs[0], last=False) and not is_headline(paragraphs[1], last=False)


@pytest.mark.parametrize("sentence,language,source", [
    ("Some 300 Swedes went to fight, according to the Swedish Security Service.", "en", "the Swedish Security Service"),
    ("The International Crisis Group said 2,000 had left.", "en", "The International Crisis Group"),
    ("Selon le ministère de l'Intérieur, 1 700 Français sont partis.", "fr", "le ministère de l'Intérieur"),
    ("Según el Ministerio del Interior, 240 yihadistas viajaron.", "es", "el Ministerio del Interior"),
    ("Volgens de NCTV zijn 310 Nederlanders vertrokken.", "nl", "de NCTV"),
    ("Nach Angaben des Verfassungsschutzes sind 1.050 Islamisten ausgereist.", "de", "Verfassungsschutzes"),
    ("Some 300 Swedes went to fight.", "en", DOCUMENT),
])
def test_attribution(sentence, language, source):
    assert attributed_to(sentence, language).endswith(source)


def test_attribution_belongs_to_the_figures_clause():
    [russia, saudi] = extract_claims("Ten percent of the Russians went back, while Saudi Arabia reported the return of 760 people.")
    assert russia.attributed_to == DOCUMENT and saudi.attributed_to == "Saudi Arabia"


# ----------------------------------------------------------------------------- tables
def test_a_pipe_table_is_read_by_column_header():
    text = ("Departures by country\n\nCountry | Travelled | Returned | Per million\n"
            "Denmark | 145 | 67 | 25\nFinland | about 80 | 20 | 15\n")
    [table] = find_tables(text)
    got_ = [(c.area, c.metric, c.value, c.qualifier, text[c.span_start:c.span_end]) for c in table_claims(text, table, "en")]
    assert got_ == [("DNK", "travelled", 145, "exact", "145"), ("DNK", "returned", 67, "exact", "67"),
                    ("FIN", "travelled", 80, "approx", "80"), ("FIN", "returned", 20, "exact", "20")]


def test_tab_and_space_separated_tables():
    tabs = "Land\tUitgereisd\tTeruggekeerd\nDenemarken\t150\t67\nNoorwegen\t100\t40\n"
    spaces = "Country    Women    Children    Rate\nNorway     12       30          5%\nSweden     40       70          7%\n"
    assert [(c.area, c.metric, c.value) for t in find_tables(tabs) for c in table_claims(tabs, t, "nl")] == [
        ("DNK", "travelled", 150), ("DNK", "returned", 67), ("NOR", "travelled", 100), ("NOR", "returned", 40)]
    assert [(c.area, c.metric, c.value) for t in find_tables(spaces) for c in table_claims(spaces, t, "en")] == [
        ("NOR", "women", 12), ("NOR", "minors", 30), ("SWE", "women", 40), ("SWE", "minors", 70)]


def test_a_flattened_table_is_split_only_where_the_rounding_makes_it_certain():
    assert split_flat_digits("6525", 2, 5) == [65, 25]
    assert split_flat_digits("2045", 2, 5) == [20, 45]
    assert split_flat_digits("6525", 2, None) is None            # no stated rounding: no guess
    assert split_flat_digits("1234", 2, 1) is None               # several splits fit: no guess
    assert rounding_unit("De cijfers zijn per categorie afgerond op 5-tallen.") == 5
    text = ("De cijfers zijn afgerond op 5-tallen.\n\nVolwassenenMinderjarigen\n"
            "Teruggekeerd naar België3010\nTeruggekeerd naar een ander land1520\n")
    [table] = find_tables(text)
    assert [(c.area, c.metric, c.value) for c in table_claims(text, table, "nl")] == [
        ("BEL", "returned", 30), ("BEL", "minors", 10)]


def test_split_cells():
    assert split_cells("| Denmark | 145 |  67 |") == ["Denmark", "145", "67"]


# ----------------------------------------------------------------------------- property: grounding
COUNTRIES = {"en": ["Belgium", "Tunisia", "Kosovo"], "fr": ["la Belgique", "la Tunisie", "le Maroc"],
             "de": ["Belgien", "Tunesien", "Österreich"], "nl": ["België", "Tunesië", "Marokko"],
             "es": ["Bélgica", "Túnez", "Marruecos"]}
TEMPLATES = {
    "en": "{q}{n} fighters from {c} have travelled to Syria, the Interior Ministry said.",
    "fr": "Selon le ministère, {q}{n} combattants de {c} sont partis en Syrie.",
    "de": "Nach Angaben der Behörden sind {q}{n} Kämpfer aus {c} nach Syrien ausgereist.",
    "nl": "Volgens de politie zijn {q}{n} strijders uit {c} naar Syrië vertrokken.",
    "es": "Según el ministerio, {q}{n} combatientes de {c} han viajado a Siria.",
}
QUALIFIERS = {"en": ["", "about ", "at least "], "fr": ["", "environ ", "plus de "], "de": ["", "etwa ", "mehr als "],
              "nl": ["", "ongeveer ", "meer dan "], "es": ["", "unos ", "más de "]}
EN_UNITS = ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
            "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
EN_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def english_words(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{EN_UNITS[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        words.append(EN_TENS[rest // 10] + (f"-{EN_UNITS[rest % 10]}" if rest % 10 else ""))
    elif rest:
        words.append(EN_UNITS[rest])
    return " and ".join(words)


def written(n: int, language: str, style: str) -> str:
    if style == "words" and language == "en" and 2 <= n < 1000:
        return english_words(n)
    separator = {"en": ",", "fr": " ", "de": ".", "nl": ".", "es": "."}[language]
    return f"{n:,}".replace(",", separator) if style == "grouped" else str(n)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(min_value=2, max_value=999_999), language=st.sampled_from(sorted(TEMPLATES)),
       style=st.sampled_from(["grouped", "plain", "words"]), country=st.integers(0, 2), qualifier=st.integers(0, 2))
def test_no_claim_without_its_figure_in_its_quote(n, language, style, country, qualifier):
    if style == "plain" and 1900 <= n <= 2099:
        n += 200                                   # a bare year-like number is read as a year, on purpose
    body = TEMPLATES[language].format(q=QUALIFIERS[language][qualifier], n=written(n, language, style),
                                      c=COUNTRIES[language][country])
    text = "Intro line of the article.\n\n" + body + "\n"
    claims = extract_all(text).claims
    assert claims, body
    for claim in claims:
        assert grounding_problem(claim, text) is None, (body, grounding_problem(claim, text))
        assert claim.value == n and claim.metric == "travelled" and claim.attributed_to != DOCUMENT
