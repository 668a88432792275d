"""DataForge UDF engine: parameterised, chunked, cancellable curve computations in pure numpy.

Public API::

    from core.dataforge.udfs import (
        udf, InputSpec, OutputSpec, UdfRegistry, REGISTRY, UdfInfo,
        match_inputs, execute, load_plugins, load_entry_points,
        Cancelled, CancelFlag, UdfInputError, UdfParamsError,
    )

    ids = REGISTRY.ids()                       # built-ins: vsh_gr, phid, phind, phis, phie, ...
    info = REGISTRY.info("vsh_gr")             # params_schema (JSON schema) + defaults for a form
    mapping = match_inputs("vsh_gr", [(1, "DEPT"), (2, "GR")])   # {"GR": 2}
    vsh = execute("vsh_gr", {"GR": gr}, {"method": "clavier"}, progress=cb, cancel=token)
    out = REGISTRY.get("vsh_gr").output_for({"method": "clavier"}, {"GR": "GR"})  # VSH, V/V

Nothing in this package imports a UI toolkit, a database or an event system.
"""

from __future__ import annotations

from ._aliases import (
    DT_ALIASES,
    GR_ALIASES,
    NPHI_ALIASES,
    PHI_ALIASES,
    PHIT_ALIASES,
    RHOB_ALIASES,
    RT_ALIASES,
    SW_ALIASES,
    VSH_ALIASES,
)
from ._engine import DEFAULT_CHUNK_SIZE, TARGET_CHUNK_SECONDS, UdfContext, execute, run_matched
from ._errors import (
    CancelFlag,
    Cancelled,
    UdfDefinitionError,
    UdfError,
    UdfExecutionError,
    UdfInputError,
    UdfNotFoundError,
    UdfParamsError,
)
from ._registry import (
    REGISTRY,
    InputInfo,
    InputSpec,
    NoParams,
    OutputInfo,
    OutputSpec,
    ResolvedOutput,
    UdfDef,
    UdfInfo,
    UdfRegistry,
    match_inputs,
    udf,
)

# built-ins register themselves into REGISTRY on import
from . import filters, porosity, saturation, shale, units  # noqa: E402,F401  isort: skip
from .filters import DespikeParams, MedianFilterParams, MovingAverageParams, NormalizeParams
from .plugins import ENTRY_POINT_GROUP, load_entry_points, load_plugins
from .porosity import DT_MATRIX, RHO_MATRIX, PhidParams, PhieParams, PhindParams, PhisParams
from .saturation import ArchieParams
from .shale import VshParams
from .units import UnitConvertParams

BUILTIN_IDS: tuple[str, ...] = tuple(REGISTRY.ids())

__all__ = [
    # declaring
    "udf", "InputSpec", "OutputSpec", "ResolvedOutput", "NoParams",
    # registry
    "UdfRegistry", "REGISTRY", "UdfDef", "UdfInfo", "InputInfo", "OutputInfo", "BUILTIN_IDS",
    # running
    "match_inputs", "execute", "run_matched", "UdfContext", "DEFAULT_CHUNK_SIZE",
    "TARGET_CHUNK_SECONDS",
    # plugins
    "load_plugins", "load_entry_points", "ENTRY_POINT_GROUP",
    # errors / cancellation
    "UdfError", "UdfDefinitionError", "UdfNotFoundError", "UdfInputError", "UdfParamsError",
    "UdfExecutionError", "Cancelled", "CancelFlag",
    # aliases
    "GR_ALIASES", "RHOB_ALIASES", "NPHI_ALIASES", "DT_ALIASES", "RT_ALIASES", "VSH_ALIASES",
    "PHI_ALIASES", "PHIT_ALIASES", "SW_ALIASES",
    # built-in params models and constants
    "VshParams", "PhidParams", "PhindParams", "PhisParams", "PhieParams", "ArchieParams",
    "MovingAverageParams", "MedianFilterParams", "DespikeParams", "NormalizeParams",
    "UnitConvertParams", "RHO_MATRIX", "DT_MATRIX",
]
