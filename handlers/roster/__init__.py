"""The roster: who is in the groups and what they may do.

``model`` holds the types (``Roster`` and its rooms, members, departments, enterprises and
categories), ``entries`` reads 花名册 rows into entries and merges them into a roster, ``live`` keeps
the running bot's roster up to date with stored imports. The config file's roster is read in
``bot/config/roster.py``; imported rows are stored by ``storage/roster_imports.py``.
"""
