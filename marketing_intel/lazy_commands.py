"""A Typer group whose sub-commands import their module only when they run.

`mi --help` lists every sub-command from the one-line help registered here, so it imports none
of them; `mi memory ...` imports the memory commands only. A command group's module (with the
stores it drives) can take seconds to import, which a user paid on every command before.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import ClassVar

import typer

# Typer 0.26+ builds its commands on a copy of click it ships as `typer._click` (not the click
# package), so the group's overrides take and return that copy's types.
from typer import _click as click
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class LazyCommand:
    """A sub-command by where it lives: `target` is "module:attribute", a `typer.Typer` or a
    command function; `help` is its one line in `--help` (a test checks it matches the loaded
    command's own)."""

    target: str
    help: str

    def load(self, name: str) -> click.Command:
        """Import the target and turn it into the click command Typer would have built."""
        module_name, _, attribute = self.target.partition(":")
        loaded = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(loaded, typer.Typer):
            single = typer.Typer()
            single.command(name)(loaded)
            loaded = single
        command = typer.main.get_command(loaded)
        command.name = name
        return command


class LazyTyperGroup(TyperGroup):
    """A `TyperGroup` that adds the sub-commands of `lazy_commands` (set by a subclass) when
    one of them is invoked, and lists them without importing them."""

    lazy_commands: ClassVar[dict[str, LazyCommand]] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The eager commands, then the lazy ones, in registration order."""
        eager = super().list_commands(ctx)
        return eager + [name for name in self.lazy_commands if name not in eager]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command if loaded; for a lazy one not loaded yet, a stand-in carrying its help
        (what `--help` lists). Running it goes through `resolve_command`, which loads it."""
        command = super().get_command(ctx, cmd_name)
        lazy = self.lazy_commands.get(cmd_name)
        if command is not None or lazy is None:
            return command
        return TyperCommand(cmd_name, help=lazy.help)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """Load the named lazy command before click resolves it."""
        if args:
            self.load(args[0])
        return super().resolve_command(ctx, args)

    def load(self, cmd_name: str) -> click.Command | None:
        """The named command, imported and added to the group now if it is a lazy one."""
        lazy = self.lazy_commands.get(cmd_name)
        if lazy is not None and cmd_name not in self.commands:
            self.add_command(lazy.load(cmd_name), cmd_name)
        return self.commands.get(cmd_name)
