"""Joint disaster-victim identification (DVI): several victims against several families with
one or more missing persons each, as in the R package dvir (Vigeland and Egeland).

Modules: :mod:`.problem` (model, parsing), :mod:`.pairwise` (cached family likelihoods per
victim configuration, pairwise LR matrix), :mod:`.joint` (assignments: enumeration by
component, pruning, posteriors, generalised LR), :mod:`.classify` (undisputed, then joint),
:mod:`.result` (JSON), :mod:`.solve` (all of it), :mod:`.build` (a problem from in-memory
arrays, for the service layer). Pure numpy; imports nothing outside
``dnacase.kinship``.
"""

from .build import problem_from_arrays
from .classify import classify, undisputed
from .joint import JointOptions, JointResult, Row, solve_joint
from .pairwise import FamilyLikelihoods, pairwise_log_lr
from .problem import NOT_MISSING, DVIError, DVIFamily, DVIProblem, parse_problem
from .result import error_json, lr_json, solution_json
from .solve import DVIOptions, solve

__all__ = [
    "NOT_MISSING",
    "DVIError",
    "DVIFamily",
    "DVIOptions",
    "DVIProblem",
    "FamilyLikelihoods",
    "JointOptions",
    "JointResult",
    "Row",
    "classify",
    "error_json",
    "lr_json",
    "pairwise_log_lr",
    "parse_problem",
    "problem_from_arrays",
    "solution_json",
    "solve",
    "solve_joint",
    "undisputed",
]
