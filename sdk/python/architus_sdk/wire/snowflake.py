"""Discord snowflakes travel as strings: they exceed JavaScript's safe integers."""

from typing import Annotated

from pydantic import StringConstraints

Snowflake = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
