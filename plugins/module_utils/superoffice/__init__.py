# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This package is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""SuperOffice CRM: what the WebAPI defines (URLs, vocabulary), its REST client, the connection
group of every SuperOffice module, and the tasks of the modules (CRMScript, event handlers, login).

May import: ``core``, ``superoffice`` and ``superoffice.online``: the connection group and the tasks
build on the Online client and connection groups. Never ``zabbix`` nor ``eda``. Files are private
to the collection and carry no leading underscore (see ``core``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type
