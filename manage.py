"""`python manage.py …` is the `vnsearch` command (vnsearch_cli/commands.py)."""
from vnsearch_cli import cli

if __name__ == "__main__":
    cli()
