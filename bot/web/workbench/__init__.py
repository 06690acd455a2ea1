"""工作台 (/app/) and 公示 (/public/): the web side for the people who run the loop.

``site.setup_workbench`` mounts every page; each page module serves one area (``pages``: home,
台账 and the ticket page; ``charts``; ``monthly``; ``notices_page``; ``policies_page``;
``roster_page``; ``public``), ``auth`` signs people in, ``views`` shapes what the templates show.
This package's ``__init__`` imports nothing, so no page module imports its own package back.
"""
