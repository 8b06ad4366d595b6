"""Read the README's quickstart as the shell statements a user would type."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

_FENCE = re.compile(r"^```bash\n(.*?)^```", re.S | re.M)
_HEREDOC = re.compile(r"<<-?\s*'?\"?(\w+)'?\"?")


@dataclass(frozen=True)
class Statement:
    text: str  # exactly as written, heredoc body included

    @property
    def words(self) -> list[str]:
        return shlex.split(self.text.splitlines()[0], comments=True)

    @property
    def is_pdsync(self) -> bool:
        return bool(self.words) and self.words[0] == "pdsync"

    @property
    def is_server(self) -> bool:
        """Runs until Ctrl-C (`pdsync emulator serve`, `pdsync events serve`)."""
        return self.is_pdsync and "serve" in self.words

    @property
    def export(self) -> tuple[str, str] | None:
        words = self.words
        if len(words) == 2 and words[0] == "export" and "=" in words[1]:
            name, value = words[1].split("=", 1)
            return name, value
        return None


def section(markdown: str, heading: str) -> str:
    """The text under ``## heading`` up to the next ``## ``."""
    start = markdown.index(f"\n## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start : end if end != -1 else None]


def statements(markdown: str) -> list[Statement]:
    """Every statement of every ```bash block, in order; blank and comment lines dropped."""
    found: list[Statement] = []
    for block in _FENCE.findall(markdown):
        lines = block.splitlines()
        while lines:
            line = lines.pop(0)
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            heredoc = _HEREDOC.search(line)
            if heredoc:  # the body runs up to the terminator line
                body = []
                while lines and lines[0] != heredoc.group(1):
                    body.append(lines.pop(0))
                terminator = lines.pop(0) if lines else ""
                line = "\n".join([line, *body, terminator])
            found.append(Statement(line))
    return found
