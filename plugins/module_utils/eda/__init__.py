# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The event sources' state: the SQLite state files of ``zabbix_events`` (its cursor) and
``superoffice_webhook`` (its delivery keys).

May import: ``core`` (and the standard library); no service package. What it stores are event ids,
digests and times, so the event sources of both services use it without either service reaching
into the other. Files are private to the collection and carry no leading underscore (see ``core``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
