"""What a settings form offers as you type: arXiv categories by code or name, IANA timezones.

Pure look-ups over fixed lists, ranked so the likeliest answer comes first; both chat platforms'
forms use them (Slack's external selects, Discord's select menus and autocomplete).
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from collections.abc import Iterable
from datetime import datetime

from bot.errors import UsageError
from bot.validators import check_timezone

__all__ = [
    "CATEGORY_NAMES",
    "COMMON_CATEGORIES",
    "category_label",
    "find_categories",
    "find_timezones",
    "timezone_label",
    "timezones",
]

# Every archive and category of bot.taxonomy with its name on arxiv.org/category_taxonomy.
CATEGORY_NAMES: dict[str, str] = {
    "astro-ph": "Astrophysics",
    "astro-ph.CO": "Cosmology and Nongalactic Astrophysics",
    "astro-ph.EP": "Earth and Planetary Astrophysics",
    "astro-ph.GA": "Astrophysics of Galaxies",
    "astro-ph.HE": "High Energy Astrophysical Phenomena",
    "astro-ph.IM": "Instrumentation and Methods for Astrophysics",
    "astro-ph.SR": "Solar and Stellar Astrophysics",
    "cond-mat": "Condensed Matter",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "cond-mat.mes-hall": "Mesoscale and Nanoscale Physics",
    "cond-mat.mtrl-sci": "Materials Science",
    "cond-mat.other": "Other Condensed Matter",
    "cond-mat.quant-gas": "Quantum Gases",
    "cond-mat.soft": "Soft Condensed Matter",
    "cond-mat.stat-mech": "Statistical Mechanics",
    "cond-mat.str-el": "Strongly Correlated Electrons",
    "cond-mat.supr-con": "Superconductivity",
    "cs": "Computer Science",
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CG": "Computational Geometry",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DM": "Discrete Mathematics",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.FL": "Formal Languages and Automata Theory",
    "cs.GL": "General Literature",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.MS": "Mathematical Software",
    "cs.NA": "Numerical Analysis",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.OH": "Other Computer Science",
    "cs.OS": "Operating Systems",
    "cs.PF": "Performance",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SC": "Symbolic Computation",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cs.SY": "Systems and Control",
    "econ": "Economics",
    "econ.EM": "Econometrics",
    "econ.GN": "General Economics",
    "econ.TH": "Theoretical Economics",
    "eess": "Electrical Engineering and Systems Science",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "gr-qc": "General Relativity and Quantum Cosmology",
    "hep-ex": "High Energy Physics - Experiment",
    "hep-lat": "High Energy Physics - Lattice",
    "hep-ph": "High Energy Physics - Phenomenology",
    "hep-th": "High Energy Physics - Theory",
    "math": "Mathematics",
    "math.AC": "Commutative Algebra",
    "math.AG": "Algebraic Geometry",
    "math.AP": "Analysis of PDEs",
    "math.AT": "Algebraic Topology",
    "math.CA": "Classical Analysis and ODEs",
    "math.CO": "Combinatorics",
    "math.CT": "Category Theory",
    "math.CV": "Complex Variables",
    "math.DG": "Differential Geometry",
    "math.DS": "Dynamical Systems",
    "math.FA": "Functional Analysis",
    "math.GM": "General Mathematics",
    "math.GN": "General Topology",
    "math.GR": "Group Theory",
    "math.GT": "Geometric Topology",
    "math.HO": "History and Overview",
    "math.IT": "Information Theory",
    "math.KT": "K-Theory and Homology",
    "math.LO": "Logic",
    "math.MG": "Metric Geometry",
    "math.MP": "Mathematical Physics",
    "math.NA": "Numerical Analysis",
    "math.NT": "Number Theory",
    "math.OA": "Operator Algebras",
    "math.OC": "Optimization and Control",
    "math.PR": "Probability",
    "math.QA": "Quantum Algebra",
    "math.RA": "Rings and Algebras",
    "math.RT": "Representation Theory",
    "math.SG": "Symplectic Geometry",
    "math.SP": "Spectral Theory",
    "math.ST": "Statistics Theory",
    "math-ph": "Mathematical Physics",
    "nlin": "Nonlinear Sciences",
    "nlin.AO": "Adaptation and Self-Organizing Systems",
    "nlin.CD": "Chaotic Dynamics",
    "nlin.CG": "Cellular Automata and Lattice Gases",
    "nlin.PS": "Pattern Formation and Solitons",
    "nlin.SI": "Exactly Solvable and Integrable Systems",
    "nucl-ex": "Nuclear Experiment",
    "nucl-th": "Nuclear Theory",
    "physics": "Physics",
    "physics.acc-ph": "Accelerator Physics",
    "physics.ao-ph": "Atmospheric and Oceanic Physics",
    "physics.app-ph": "Applied Physics",
    "physics.atm-clus": "Atomic and Molecular Clusters",
    "physics.atom-ph": "Atomic Physics",
    "physics.bio-ph": "Biological Physics",
    "physics.chem-ph": "Chemical Physics",
    "physics.class-ph": "Classical Physics",
    "physics.comp-ph": "Computational Physics",
    "physics.data-an": "Data Analysis, Statistics and Probability",
    "physics.ed-ph": "Physics Education",
    "physics.flu-dyn": "Fluid Dynamics",
    "physics.gen-ph": "General Physics",
    "physics.geo-ph": "Geophysics",
    "physics.hist-ph": "History and Philosophy of Physics",
    "physics.ins-det": "Instrumentation and Detectors",
    "physics.med-ph": "Medical Physics",
    "physics.optics": "Optics",
    "physics.plasm-ph": "Plasma Physics",
    "physics.pop-ph": "Popular Physics",
    "physics.soc-ph": "Physics and Society",
    "physics.space-ph": "Space Physics",
    "q-bio": "Quantitative Biology",
    "q-bio.BM": "Biomolecules",
    "q-bio.CB": "Cell Behavior",
    "q-bio.GN": "Genomics",
    "q-bio.MN": "Molecular Networks",
    "q-bio.NC": "Neurons and Cognition",
    "q-bio.OT": "Other Quantitative Biology",
    "q-bio.PE": "Populations and Evolution",
    "q-bio.QM": "Quantitative Methods",
    "q-bio.SC": "Subcellular Processes",
    "q-bio.TO": "Tissues and Organs",
    "q-fin": "Quantitative Finance",
    "q-fin.CP": "Computational Finance",
    "q-fin.EC": "Economics",
    "q-fin.GN": "General Finance",
    "q-fin.MF": "Mathematical Finance",
    "q-fin.PM": "Portfolio Management",
    "q-fin.PR": "Pricing of Securities",
    "q-fin.RM": "Risk Management",
    "q-fin.ST": "Statistical Finance",
    "q-fin.TR": "Trading and Market Microstructure",
    "quant-ph": "Quantum Physics",
    "stat": "Statistics",
    "stat.AP": "Applications",
    "stat.CO": "Computation",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning",
    "stat.OT": "Other Statistics",
    "stat.TH": "Statistics Theory",
}
# Offered first where a form cannot search (Discord's select menus hold 25 options).
COMMON_CATEGORIES = (
    "cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.RO", "cs.CR", "cs.IR", "cs.NE", "cs.HC",
    "cs.SE", "cs.DC", "cs.SD", "eess.AS", "eess.IV", "math.OC", "physics.comp-ph", "q-bio.NC",
    "quant-ph", "cs", "stat", "math", "physics", "q-bio", "econ",
)  # fmt: skip
_WORD = re.compile(r"[\w+-]+")


def category_label(name: str) -> str:
    """'cs.LG — Machine Learning' (the code alone when it has no name)."""
    full = CATEGORY_NAMES.get(name)
    return f"{name} — {full}" if full else name


def _category_rank(query: str, code: str) -> int | None:
    """How well a category matches what was typed (lower is better), or None."""
    folded, name = code.casefold(), CATEGORY_NAMES.get(code, "").casefold()
    if folded == query:
        return 0
    if folded.startswith(query):
        return 1
    if folded.partition(".")[2].startswith(query):
        return 2
    words = _WORD.findall(name)
    if any(word.startswith(query) for word in words) or name.startswith(query):
        return 3
    if query in folded or query in name:
        return 4
    return None


def find_categories(query: str, limit: int = 100) -> list[str]:
    """Archives and categories matching query by code or name, best first ('' lists common ones)."""
    wanted = " ".join(query.casefold().split())[:60]
    if not wanted:
        return list(COMMON_CATEGORIES[:limit])
    ranked = []
    for code in CATEGORY_NAMES:
        rank = _category_rank(wanted, code)
        if rank is not None:
            ranked.append((rank, code.casefold(), code))
    return [code for _, _, code in sorted(ranked)[:limit]]


@functools.cache
def timezones() -> tuple[str, ...]:
    """Every IANA timezone the settings accept, sorted (checked by the settings' own rule)."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if _accepted(name)))


def _accepted(name: str) -> bool:
    """Whether the timezone check takes a zone name as it is spelled."""
    try:
        return check_timezone(name) == name
    except UsageError:
        return False


def timezone_label(name: str, now: datetime) -> str:
    """'Europe/Berlin (UTC+01:00)': the zone with its offset at that moment."""
    offset = now.astimezone(zoneinfo.ZoneInfo(name)).strftime("%z")
    return f"{name} (UTC{offset[:3]}:{offset[3:]})"


def _timezone_rank(query: str, name: str) -> int | None:
    """How well a zone matches (lower is better): whole name, a part's start, anywhere; or None."""
    folded = name.casefold().replace("_", " ")
    if folded == query:
        return 0
    parts = folded.split("/")
    if parts[-1].startswith(query):
        return 1
    if folded.startswith(query) or any(part.startswith(query) for part in parts):
        return 2
    if query in folded:
        return 3
    return None


def find_timezones(query: str, limit: int = 100, *, first: Iterable[str] = ()) -> list[str]:
    """Zones matching query ('new york', 'berlin', 'utc'), best first; '' lists `first` then UTC."""
    wanted = " ".join(query.casefold().replace("_", " ").split())[:60]
    if not wanted:
        return list(dict.fromkeys([*first, "UTC"]))[:limit]
    ranked = []
    for name in timezones():
        rank = _timezone_rank(wanted, name)
        if rank is not None:
            ranked.append((rank, name.count("/") == 0, name))
    return [name for _, _, name in sorted(ranked)[:limit]]
