"""Node classes from a flow's embedded code: compiled once per source, a fresh class per run.

A flow JSON embeds each node's source, and lfx (`lfx.custom.validate.create_class`) parses,
checks and compiles it again on every run: most of a small flow's run. Here each source is
checked by lfx's own `eval_custom_component_code` once (the same validation, the same errors),
then parsed and compiled once more into code objects that are kept, keyed by the source's
SHA-256 and the class name. Every run execs those code objects into a namespace of its own, so
it gets a class of its own, with its own module-level names and class attributes: one class
shared by runs could carry state from one tenant's run into another's (the reason Langflow's
pull request 14905 caches the code object, not the class). Each fresh class is registered with
lfx's return-type sidecar exactly as `create_class` registers the classes it builds.

The imported names a source binds are resolved once: they are installed modules and classes,
shared by every run anyway, as any Python import is.
"""

from __future__ import annotations

import ast
import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from types import CodeType
from typing import Any

# How many distinct node sources stay compiled: a worker runs a handful of flows, each with a
# few node types; an unbounded cache would keep every source a changed flow ever embedded.
CACHE_SIZE = 256
# Marks a source lfx must build itself on every run (see `_compile`).
LFX_EACH_RUN = "lfx"
# The same source rewrites `create_class` applies before it parses (lfx 1.13).
_LEGACY_IMPORTS = {
    "from langflow import CustomComponent": "from langflow.custom import CustomComponent",
    "from langflow.interface.custom.custom_component import CustomComponent": (
        "from langflow.custom import CustomComponent"
    ),
}


@dataclass(frozen=True)
class _Definition:
    """One module-level definition of a node's source (a helper class, function or constant)."""

    node: ast.stmt
    code: CodeType
    binds_class: bool  # lfx records the class it creates as a trusted source base


@dataclass(frozen=True)
class CompiledNode:
    """A node source's code objects: everything `create_class` derives from the text alone."""

    class_name: str
    imports: dict[str, Any]
    definitions: tuple[_Definition, ...]
    class_node: ast.ClassDef
    class_code: CodeType
    trusted_method_returns: dict[Any, Any]
    # `class_node` with only the statements lfx's registration reads (see `_registered_part`).
    registered_node: ast.ClassDef

    def fresh_class(self) -> type:
        """A new class from the cached code, in a namespace of its own (as `create_class`)."""
        from lfx.custom.annotation_validation import register_compiled_class_method_returns

        namespace = dict(self.imports)
        source_classes: dict[int, type] = {}
        for definition in self.definitions:
            # Only a class definition lfx records needs the classes before it (a full scan of
            # the namespace, which holds lfx's default imports: 0.1 ms a definition).
            records = definition.binds_class and isinstance(definition.node, ast.ClassDef)
            before = _class_ids(namespace) if records else set()
            exec(definition.code, namespace)  # noqa: S102 -- the node's code, as lfx runs it
            if records:
                assert isinstance(definition.node, ast.ClassDef)
                created = namespace.get(definition.node.name)
                if type(created) is type and id(created) not in before:
                    source_classes[id(definition.node)] = created
        preexisting = frozenset(_class_ids(namespace))
        class_locals: dict[str, Any] = {}
        exec(self.class_code, namespace, class_locals)  # noqa: S102 -- as above
        component_class: type = class_locals[self.class_name]
        namespace[self.class_name] = component_class
        mro = component_class.__mro__
        for definition in self.definitions:
            base = source_classes.get(id(definition.node))
            if base is None or not any(base is parent for parent in mro[1:]):
                continue
            assert isinstance(definition.node, ast.ClassDef)
            if definition.node.decorator_list:
                continue
            register_compiled_class_method_returns(
                base,
                definition.node,
                globalns=namespace,
                preexisting_class_ids=preexisting,
                trusted_method_returns=self.trusted_method_returns,
                allow_preexisting_class=True,
                infer_decorated_methods=False,
            )
        register_compiled_class_method_returns(
            component_class,
            self.registered_node,
            globalns=namespace,
            preexisting_class_ids=preexisting,
            trusted_method_returns=self.trusted_method_returns,
        )
        return component_class


class NodeClassCache:
    """Compiled node sources by SHA-256 and class name; `fresh_class` gives a new class per call.

    Thread-safe: a miss compiles under a lock (CPython 3.11's `ast` is not safe across threads,
    gh-106905); a hit only execs code objects."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._compiled: OrderedDict[tuple[str, str], CompiledNode | type | str] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self.compilations = 0  # how many sources were compiled (a changed source adds one)

    def fresh_class(self, code: str, class_name: str | None) -> type:
        """A class of its own for one run of the node whose embedded source is `code`."""
        from lfx.custom import validate

        name = validate.extract_class_name(code, class_name)
        key = (hashlib.sha256(code.encode()).hexdigest(), name)
        with self._lock:
            compiled = self._compiled.get(key)
            if compiled is None:
                compiled = _compile(code, name, class_name)
                self.compilations += 1
                self._compiled[key] = compiled
                if len(self._compiled) > self._size:
                    self._compiled.popitem(last=False)
            else:
                self._compiled.move_to_end(key)
        if isinstance(compiled, CompiledNode):
            return compiled.fresh_class()
        if isinstance(compiled, type):  # a class lfx ships, which it substitutes for this source
            return compiled
        return validate.create_class(code, name)  # LFX_EACH_RUN


def _compile(code: str, name: str, requested: str | None) -> CompiledNode | type | str:
    """Check `code` with lfx (its errors, in its words), then keep its code objects.

    A source lfx replaces by a class it ships, or one carrying lfx's trusted vector-store
    decorator (which rewrites the class after it is built), is left to lfx on every run."""
    from lfx.custom import validate
    from lfx.custom.annotation_validation import snapshot_trusted_class_method_returns
    from lfx.custom.eval import eval_custom_component_code
    from lfx.custom.legacy_storage_compat import resolve_shipped_storage_component
    from lfx.field_typing.constants import DEFAULT_IMPORT_STRING

    shipped = resolve_shipped_storage_component(code)
    if shipped is not None:
        return shipped
    eval_custom_component_code(code, class_name=requested)  # raises lfx's ValueError
    for legacy, current in _LEGACY_IMPORTS.items():
        code = code.replace(legacy, current)
    module = ast.parse(DEFAULT_IMPORT_STRING + "\n" + code)
    future = [
        node
        for node in module.body
        if isinstance(node, ast.ImportFrom) and node.module == "__future__"
    ]
    if not any(alias.name == "annotations" for node in future for alias in node.names):
        future.insert(0, validate._future_annotations_import())
    if validate._trusted_vector_store_decorator_alias(module, name) is not None:
        return LFX_EACH_RUN
    imports = validate.prepare_global_scope(_imports_only(module))
    trusted = snapshot_trusted_class_method_returns(
        validate._trusted_imported_bases(module, imports)
    )
    definitions = tuple(
        _Definition(
            node,
            _compiled(future, node),
            isinstance(node, ast.ClassDef)
            and validate._has_static_type_metaclass_bases(node, imports),
        )
        for node in module.body
        if isinstance(node, _DEFINITIONS)
    )
    class_node = validate.extract_class_code(module, name)
    return CompiledNode(
        name,
        imports,
        definitions,
        class_node,
        _compiled(future, class_node),
        trusted,
        _registered_part(class_node),
    )


def _registered_part(class_node: ast.ClassDef) -> ast.ClassDef:
    """The class with only what `register_compiled_class_method_returns` reads from its body:
    its methods, and the statements that define a function under class-level control flow
    (an `if` or `try` around a `def`). lfx walks every other statement of the body too, on
    every registration, and finds nothing there: a node's `inputs` and `outputs` lists are
    most of its source and of that walk (0.2 ms a node a run). The registration it makes is
    tested equal to lfx's own for each node of the flows."""
    body = [statement for statement in class_node.body if _defines_function(statement)]
    slim = ast.ClassDef(
        name=class_node.name,
        bases=class_node.bases,
        keywords=class_node.keywords,
        body=body or [ast.Pass()],
        decorator_list=class_node.decorator_list,
    )
    return ast.copy_location(slim, class_node)


def _defines_function(statement: ast.stmt) -> bool:
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) for node in ast.walk(statement)
    )


# The module-level statements `prepare_global_scope` runs as definitions.
_DEFINITIONS = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.Assign, ast.AnnAssign)


def _imports_only(module: ast.Module) -> ast.Module:
    """The source's imports (not `__future__`'s): what `prepare_global_scope` resolves."""
    return ast.Module(
        body=[
            node
            for node in module.body
            if isinstance(node, ast.Import)
            or (isinstance(node, ast.ImportFrom) and node.module not in (None, "__future__"))
        ],
        type_ignores=[],
    )


def _compiled(future: list[ast.ImportFrom], node: ast.stmt) -> CodeType:
    """One statement compiled under the source's `__future__` imports, as lfx compiles it."""
    return compile(ast.Module(body=[*future, node], type_ignores=[]), "<string>", "exec")


def _class_ids(namespace: dict[str, Any]) -> set[int]:
    return {id(value) for value in namespace.values() if issubclass(type(value), type)}
