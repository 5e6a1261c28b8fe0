"""`rubricrl study create|invite|serve|export`: the human study's commands."""

from __future__ import annotations

import typer

from rubricrl.cli import out
from rubricrl.config import parse
from rubricrl.study.create import (
    InviteConfig,
    StudyCreateConfig,
    admin_link,
    create_study,
    invite,
)
from rubricrl.study.export import StudyExportConfig, export_study, render_study
from rubricrl.study.serve import StudyServeConfig, serve_study


def _say(line: str) -> None:
    out.print(line, markup=False, highlight=False)


def create_command(ctx: typer.Context) -> None:
    """Create a study file: one pairwise task per goal, one approval task per rubric."""
    config = parse(StudyCreateConfig, ctx.args, "rubricrl study create")
    pairwise, approval, admin = create_study(config)
    _say(f"wrote {config.output}: {pairwise} pairwise and {approval} approval tasks")
    _say(f"admin dashboard (keep it private): {admin_link(config.url, admin)}")
    _say(f"next: rubricrl study invite {config.output} NAME")


def invite_command(ctx: typer.Context) -> None:
    """Invite an annotator: prints their personal link (the token is stored only hashed)."""
    config = parse(InviteConfig, ctx.args, "rubricrl study invite")
    link, given = invite(config)
    _say(f"{config.name}: {given} tasks; personal link (shown once): {link}")


def serve_command(ctx: typer.Context) -> None:
    """Serve a study to its annotators and its admin (127.0.0.1 unless --host says otherwise)."""
    serve_study(parse(StudyServeConfig, ctx.args, "rubricrl study serve"), _say)


def export_command(ctx: typer.Context) -> None:
    """Export the votes as jury records with a summary (reveals the models)."""
    config = parse(StudyExportConfig, ctx.args, "rubricrl study export")
    _say(render_study(export_study(config)))
    _say(f"wrote {config.output} and the votes, approvals and summary beside it")
