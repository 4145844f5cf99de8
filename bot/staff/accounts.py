"""Staff accounts on the command line: add, list, remove, change a password, unlock."""
from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import select

from bot.db import StaffUser, as_utc, get_db
from bot.live_index import get_wards
from bot.staff.auth import (
    ALL_WARDS, MAX_NAME_CHARS, audit, end_sessions, hash_password, locked_addresses, password_problem, unlock,
)

staff_cli = AppGroup("staff", help="Manage staff console accounts.")


@staff_cli.command("add")
@click.argument("name")
@click.option("--ward", required=True, help="台東区・千代田区・大田区、または all（全区）")
def staff_add(name: str, ward: str) -> None:
    """Create an account; the password is read from a prompt or stdin."""
    wards = get_wards()
    if ward != ALL_WARDS and ward not in wards:
        raise click.BadParameter("、".join([*wards, ALL_WARDS]) + " のいずれかにしてください。", param_hint="--ward")
    if not name or len(name) > MAX_NAME_CHARS or any(c.isspace() for c in name):
        raise click.BadParameter(f"空白を含まない{MAX_NAME_CHARS}文字以内にしてください。", param_hint="NAME")
    db = get_db()
    if db.scalar(select(StaffUser).where(StaffUser.name == name)) is not None:
        raise click.ClickException(f"{name} はすでにあります。")
    password = new_password(name, "パスワード")
    db.add(StaffUser(name=name, ward=ward, password_hash=hash_password(password)))
    audit(db, "staff_add", ward=ward, target=f"staff:{name}", staff="cli")
    db.commit()
    click.echo(f"{name} ({ward}) を作成しました。")


@staff_cli.command("list")
def staff_list() -> None:
    """List the accounts, their ward and last login."""
    db = get_db()
    for user in db.scalars(select(StaffUser).order_by(StaffUser.name)):
        last = as_utc(user.last_login_at).isoformat(timespec="seconds") if user.last_login_at else "-"
        locked = locked_addresses(db, user.id)
        locked = f"\t{locked}件のアドレスからのログインを停止中" if locked else ""
        click.echo(f"{user.name}\t{user.ward}\t最終ログイン {last}{locked}")


@staff_cli.command("remove")
@click.argument("name")
def staff_remove(name: str) -> None:
    """Delete an account and end its sessions; its id is never given to another account."""
    db = get_db()
    user = existing(db, name)
    end_sessions(db, user.id)
    unlock(db, user.id)
    db.delete(user)
    audit(db, "staff_remove", ward=user.ward, target=f"staff:{name}", staff="cli")
    db.commit()
    click.echo(f"{name} を削除しました。")


@staff_cli.command("password")
@click.argument("name")
def staff_password(name: str) -> None:
    """Set a new password, read from a prompt or stdin; every open session of the account ends."""
    db = get_db()
    user = existing(db, name)
    user.password_hash = hash_password(new_password(name, "新しいパスワード"))
    end_sessions(db, user.id)
    unlock(db, user.id)
    audit(db, "staff_password", ward=user.ward, target=f"staff:{name}", staff="cli")
    db.commit()
    click.echo(f"{name} のパスワードを変更しました。ログイン中の画面はすべてログアウトしました。")


@staff_cli.command("unlock")
@click.argument("name")
def staff_unlock(name: str) -> None:
    """Lift the login locks of an account at once, instead of waiting for them to end."""
    db = get_db()
    user = existing(db, name)
    unlock(db, user.id)
    audit(db, "staff_unlock", ward=user.ward, target=f"staff:{name}", staff="cli")
    db.commit()
    click.echo(f"{name} のロックを解除しました。")


def existing(db, name: str) -> StaffUser:
    """Return the account of this name, or stop with a message."""
    user = db.scalar(select(StaffUser).where(StaffUser.name == name))
    if user is None:
        raise click.ClickException(f"{name} はありません。")
    return user


def new_password(name: str, label: str) -> str:
    """Read a password twice from a prompt or stdin, or stop with what the password rule says."""
    password = read_secret(label)
    while read_secret(f"{label}（確認）") != password:
        click.echo("2回の入力が一致しません。もう一度入力してください。", err=True)
        password = read_secret(label)
    problem = password_problem(password, name)
    if problem:
        raise click.ClickException(problem)
    return password


def read_secret(label: str) -> str:
    """Read one secret: hidden at a terminal; from a pipe, one line (getpass would only warn it cannot hide it)."""
    if sys.stdin.isatty():
        return click.prompt(label, hide_input=True)
    click.echo(f"{label}: ", nl=False)
    line = sys.stdin.readline()
    if not line:
        raise click.ClickException("パスワードが入力されませんでした。")
    return line.rstrip("\r\n")
