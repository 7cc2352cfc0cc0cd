"""Class experiment: a teacher sets up an experiment from a Playground view, students send
their runs from a room link, and the board shows the whole class's runs (lab.classroom)."""

from __future__ import annotations

from lab.classroom.ui import main
from lab.navigation import use_navigation

use_navigation()
main()
