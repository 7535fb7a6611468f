"""A Jinja sandbox for admin-edited letter bodies that is bounded as well as safe.

Jinja's sandbox already keeps a template away from Python internals; this one also keeps it
small and quick. A template is one file (no include, extends or import: there is no loader),
and every render has a budget: `RENDER_SECONDS` of wall time and `MAX_CHARS` characters of
output, counted wherever output is produced (also inside macros and `{% set %}` blocks, so a
macro cannot build a huge value unseen). The deadline is checked on every loop iteration (each
`for` is wrapped in `_loop_guard` before compiling), every call, filter and guarded operator, so
a loop that prints nothing still stops. Operators and filters that multiply a value's size
(`*`, `**`, `%`, `+`, `~`, `center`, `indent`, `replace`, `join`, ...) are checked before they
build the value. A breach raises `RenderLimit`, whose `kind` says which limit.
"""
from __future__ import annotations

import re
import time
from contextvars import ContextVar
from dataclasses import dataclass
from functools import wraps
from inspect import signature

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator
from jinja2.filters import FILTERS
from jinja2.sandbox import ImmutableSandboxedEnvironment

RENDER_SECONDS = 2.0
# About 20 pages of text, ten times a long letter: the PDF of a body this size takes WeasyPrint a
# few seconds at worst (short paragraphs), so the whole preview, save or issue stays bounded too.
MAX_CHARS = 50_000
MAX_INT_BITS = 4_096  # about 1,200 decimal digits: far beyond any number a letter prints
FORBIDDEN_TAGS = {nodes.Include: "include", nodes.Extends: "extends", nodes.Import: "import",
                  nodes.FromImport: "from … import"}
# str methods that build large values from small inputs; templates use the filters instead
_STR_DENIED = {"format", "format_map", "expandtabs", "join", "ljust", "rjust", "center", "zfill"}
_PRINTF_NUMBER = re.compile(r"%[-#0 +]*(\*|\d*)(?:\.(\*|\d*))?")


class RenderLimit(Exception):
    """A template went past a limit: `kind` is "time", "size", "number", "tag" or "recursion"."""

    def __init__(self, kind: str, detail: str = "", lineno: int | None = None):
        super().__init__(kind, detail)
        self.kind, self.detail, self.lineno = kind, detail, lineno


@dataclass
class _Budget:
    deadline: float
    chars: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("letter_render_budget", default=None)


def _tick() -> None:
    budget = _budget.get()
    if budget is not None and time.monotonic() > budget.deadline:
        raise RenderLimit("time")


def _check_size(value, extra: int = 0) -> None:
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and len(value) + extra > MAX_CHARS:
        raise RenderLimit("size")


def _check_int(value) -> None:
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise RenderLimit("number")


def _check_printf(fmt, args) -> None:
    """`'%999999999s' % x` and `'%*s' % (10**9, x)` build huge strings: refuse wide fields."""
    widths = [w for match in _PRINTF_NUMBER.finditer(str(fmt)) for w in match.groups() if w]
    if any(w.isdigit() and int(w) > MAX_CHARS for w in widths):
        raise RenderLimit("size")
    if "*" in widths:
        values = args if isinstance(args, tuple) else (args,)
        if any(isinstance(v, int) and abs(v) > MAX_CHARS for v in values):
            raise RenderLimit("size")


def count_output(value):
    """Every piece of output passes here (see `_GuardedCodeGenerator`)."""
    budget = _budget.get()
    if budget is not None:
        _tick()
        budget.chars += len(value)
        if budget.chars > MAX_CHARS:
            raise RenderLimit("size")
    return value


def guard_value(value):
    """The result of `~` (string concatenation), checked before it grows further."""
    _tick()
    _check_size(value)
    return value


def _loop_guard(iterable):
    for item in iterable:
        _tick()
        yield item


# -- filters -------------------------------------------------------------------------------
def _estimate(name: str, a: dict) -> int:
    """Upper bound of the result's length of a filter that can grow its input, else 0."""
    value = a.get("value", a.get("s"))
    text = str(value) if isinstance(value, str) else ""
    if name == "center":
        return a["width"] if isinstance(a["width"], int) else 0
    if name in ("batch", "slice"):
        size = a.get("linecount", a.get("slices"))
        return size if isinstance(size, int) else 0
    if name == "indent":
        width = a["width"] if isinstance(a["width"], int) else len(str(a["width"]))
        return len(text) + (text.count("\n") + 1) * width
    if name == "replace":
        old, new = str(a["old"]), str(a["new"])
        hits = len(text) + 1 if not old else text.count(old)
        return len(text) + hits * len(new)
    if name == "wordwrap":
        return len(text) + (len(text) + 1) * len(a["wrapstring"] or "\n")
    if name == "join":
        items = a["value"]
        return sum(len(str(item)) for item in items) + len(items) * len(str(a["d"]))
    return 0


_GROWING = {"center", "batch", "slice", "indent", "replace", "wordwrap", "join", "format"}


def _guard_filter(name: str, func):
    binder = signature(func)
    # Jinja's async variants take an evaluation context their signature does not show
    hidden = int(hasattr(func, "jinja_pass_arg") and
                 next(iter(binder.parameters)) not in ("eval_ctx", "environment", "context"))

    @wraps(func)
    def guarded(*args, **kwargs):
        _tick()
        if name in _GROWING:
            bound = binder.bind(*args[hidden:], **kwargs)
            bound.apply_defaults()
            if name == "join":
                bound.arguments["value"] = list(bound.arguments["value"])
            if name == "format":
                _check_printf(bound.arguments["value"], tuple(bound.arguments["args"]))
            if _estimate(name, bound.arguments) > MAX_CHARS:
                raise RenderLimit("size")
            args, kwargs = (*args[:hidden], *bound.args), bound.kwargs
        result = func(*args, **kwargs)
        _check_size(result)
        return result

    return guarded


# -- the environment -----------------------------------------------------------------------
class _GuardedCodeGenerator(CodeGenerator):
    """Compiles every output piece through `count_output` and every `~` through `guard_value`."""

    def _output_const_repr(self, group) -> str:
        return f"environment.count_output({super()._output_const_repr(group)})"

    def _output_child_pre(self, node, frame, finalize) -> None:
        self.write("environment.count_output(")
        super()._output_child_pre(node, frame, finalize)

    def _output_child_post(self, node, frame, finalize) -> None:
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    def visit_Concat(self, node, frame) -> None:
        self.write("environment.guard_value(")
        super().visit_Concat(node, frame)
        self.write(")")


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, one file only, bounded in time and size (see the module)."""

    code_generator_class = _GuardedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    count_output = staticmethod(count_output)
    guard_value = staticmethod(guard_value)

    def __init__(self):
        super().__init__(autoescape=True, undefined=StrictUndefined)
        self.globals.pop("lipsum", None)
        self.filters = {name: _guard_filter(name, func) for name, func in FILTERS.items()}
        self.filters["_loop_guard"] = _loop_guard

    def wrap_str_format(self, value):
        return None  # str.format is refused below (its field widths are unbounded), not wrapped

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if isinstance(obj, str) and attr in _STR_DENIED:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call_binop(self, context, operator, left, right):
        _tick()
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and left not in (-1, 0, 1) and left.bit_length() * right > MAX_INT_BITS:
                raise RenderLimit("number")
        elif operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                    raise RenderLimit("number")
            else:
                sized, times = (left, right) if isinstance(right, int) else (right, left)
                if isinstance(times, int) and hasattr(sized, "__len__") and len(sized) * times > MAX_CHARS:
                    raise RenderLimit("size")
        elif operator == "+" and hasattr(left, "__len__") and hasattr(right, "__len__"):
            _check_size(left, len(right))
        elif operator == "%" and isinstance(left, str):
            _check_printf(left, right)
        result = super().call_binop(context, operator, left, right)
        _check_int(result)
        return result

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 (Jinja's own signature)
        _tick()
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            for arg in (*args, *kwargs.values()):
                if (isinstance(arg, int) and abs(arg) > MAX_CHARS) or \
                        (isinstance(arg, str) and (len(owner) + 1) * len(arg) > MAX_CHARS):
                    raise RenderLimit("size")
        result = super().call(__context, __obj, *args, **kwargs)
        _check_size(result)
        return result

    def compile_body(self, source: str):
        """Parse, refuse other templates, guard every loop, compile."""
        tree = self.parse(source)
        for node in tree.find_all(tuple(FORBIDDEN_TAGS)):
            raise RenderLimit("tag", FORBIDDEN_TAGS[type(node)], node.lineno)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(loop.iter, "_loop_guard", [], [], None, None, lineno=loop.lineno)
        tree.set_environment(self)
        return self.from_string(tree)

    def render_bounded(self, source: str, context: dict) -> str:
        """Render within the budget; RenderLimit (or the template's own error) on failure."""
        token = _budget.set(_Budget(deadline=time.monotonic() + RENDER_SECONDS))
        try:
            try:
                return self.compile_body(source).render(**context)
            except RecursionError:
                raise RenderLimit("recursion") from None
            except MemoryError:
                raise RenderLimit("size") from None
        finally:
            _budget.reset(token)
