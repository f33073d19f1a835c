"""Hand-written word lists: what makes a sentence a development, its kind and its topics.

They are lemmas (spaCy's French lemmatizer gives "rencontrer" for "a rencontré"), or prefixes of
a word folded to lower case without accents. Written by hand because no model ships these
categories; kept general (no names from the seed texts).
"""

# A sentence that names one of these is about something that happened or will happen.
TRIGGERS = frozenset(
    """
    rencontre rencontrer entretien entretenir réunion réunir visite visiter rendre accueillir
    accueil forum sommet conférence congrès signer signature ratifier ratification approuver
    adopter adoption mandat négociation négocier référendum élection vote voter scrutin lancer
    lancement annoncer annonce présenter participer participation exposé nommer nomination
    déclaration déclarer inaugurer inauguration reconnaître conclure convention dialogue
    séance débat organiser tenir célébrer anniversaire lettre accueillir recevoir discuter
    discussion évoquer jouer adhérer rejoindre décision décider ouvrir ouverture publier
    meeting meet visit summit sign signed agreement talks announce election
    """.split()
)

# Kinds, tried in order: the first whose words appear wins.
KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("referendum_election", frozenset("référendum élection scrutin vote voter referendum".split())),
    (
        "appointment",
        frozenset("nommer nomination créance désigner investir appointment appointed".split()),
    ),
    (
        "agreement_stage",
        frozenset(
            """signer signature ratifier ratification parapher paraphe mandat négociation
            négocier convention mémorandum conclure accord initialler signed ratified""".split()
        ),
    ),
    (
        "forum_summit",
        frozenset("forum sommet conférence congrès summit exposition salon".split()),
    ),
    (
        "meeting",
        frozenset(
            """rencontre rencontrer entretien entretenir réunion réunir dialogue conseil
            discussion discuter talks meeting meet séance recevoir exposé""".split()
        ),
    ),
    ("visit", frozenset("visite visiter rendre accueillir accueil voyage visit".split())),
    (
        "trade_measure",
        frozenset("exportateur exportation importation douane tarif quota embargo".split()),
    ),
    (
        "statement",
        frozenset(
            """déclarer déclaration annoncer annonce affirmer souligner appeler présenter
            insister saluer rappeler statement announce said""".split()
        ),
    ),
)

# Topic slug → folded word prefixes (lower case, no accents).
TOPICS: dict[str, tuple[str, ...]] = {
    "epca": ("epca", "apcr", "accord de partenariat et de cooperation renforce"),
    "visa-facilitation": ("visa",),
    "middle-corridor": (
        "middle corridor",
        "corridor du milieu",
        "transcaspien",
        "trans-caspian",
        "corridor de transport",
        "port d",
        "fret",
    ),
    "critical-raw-materials": (
        "matieres premieres critiques",
        "terres rares",
        "mineral",
        "minerai",
        "graphite",
        "raw materials",
    ),
    "energy": (
        "energ",
        "petrol",
        "uranium",
        "nucleaire",
        "hydrogene",
        "gaz",
        "solaire",
        "eolien",
        "nuclear",
        "oil",
    ),
    "constitutional-reform": ("constitution", "referendum", "reforme politique"),
    "trade-investment": (
        "commerc",
        "investiss",
        "export",
        "chambre de commerce",
        "conseil d'affaires",
        "business",
        "trade",
        "invest",
    ),
    "global-gateway": ("global gateway",),
    "parliamentary-cooperation": (
        "parlement",
        "parlementaire",
        "senat",
        "majilis",
        "mazhilis",
        "depute",
        "uip",
        "chambre des representants",
        "parliament",
    ),
    "belgium-kazakhstan": ("belgique", "belge", "belgian", "belgium"),
    "luxembourg-kazakhstan": ("luxembourg",),
    "education-mobility": ("universit", "etudiant", "education", "mobilite", "academique", "ecole"),
    "media": ("media", "journalis", "presse", "chaine de television", "chaine d'information"),
    "digital-ai": ("numerique", "intelligence artificielle", "digital", "technologie"),
    "sport-culture": ("football", "sport", "cultur", "memorial", "musee", "festival"),
}

# Words after which a place name is where something happened.
PLACE_PREPOSITIONS = frozenset("à au aux en dans at in".split())
