"""Standard mnemonic aliases, in priority order (first = preferred).

Matching is case-insensitive; ``GR:1`` / ``GR_1`` style suffixes are accepted after exact names
(see :func:`core.dataforge.udfs.match_inputs`).

Deliberately *not* aliased: ``NEUT`` (often a neutron count rate in CPS, e.g. the Scorpio E1 file),
``DENC``/``DRHO`` (density corrections), ``ILM`` is only a last-resort RT fallback.
"""

from __future__ import annotations

GR_ALIASES: tuple[str, ...] = (
    "GR", "GAM", "GAMN", "GRC", "SGR", "CGR", "HSGR", "ECGR", "GR_EDTC", "GRD", "GRS", "HGR",
    "GAMMA",
)
RHOB_ALIASES: tuple[str, ...] = (
    "RHOB", "RHOZ", "DEN", "DENS", "ZDEN", "DFAR", "RHOM", "HROM", "RHO8", "DENB",
)
NPHI_ALIASES: tuple[str, ...] = (
    "NPHI", "TNPH", "NPOR", "CNPOR", "NEU", "CNL", "CNC", "CNCF", "TNPHI", "NPHS", "NPHL", "PHIN",
)
DT_ALIASES: tuple[str, ...] = ("DT", "DTC", "AC", "DTCO", "DT4P", "DTP", "DT24")
RT_ALIASES: tuple[str, ...] = (
    "RT", "ILD", "LLD", "RD", "RESD", "RDEP", "AT90", "AHT90", "RT90", "RLA5", "HDRS", "M2R9",
    "RILD", "ILM",
)
VSH_ALIASES: tuple[str, ...] = ("VSH", "VSHALE", "VSH_GR", "VSHGR", "VCL", "VCLAY")
# porosity used by Archie: effective first
PHI_ALIASES: tuple[str, ...] = ("PHIE", "PHIT", "PHIND", "PHID", "DPHI", "PHI", "POR", "PHIS")
# total porosity used to compute PHIE
PHIT_ALIASES: tuple[str, ...] = ("PHIT", "PHIND", "PHID", "DPHI", "PHIS", "PHI", "POR", "PORT")
SW_ALIASES: tuple[str, ...] = ("SW", "SWE", "SWT", "SWA", "SW_AR", "SWARCHIE")

__all__ = [
    "GR_ALIASES", "RHOB_ALIASES", "NPHI_ALIASES", "DT_ALIASES", "RT_ALIASES", "VSH_ALIASES",
    "PHI_ALIASES", "PHIT_ALIASES", "SW_ALIASES",
]
