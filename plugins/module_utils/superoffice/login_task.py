# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The task of ``superoffice_login``: log in to SuperOffice Online once, for the tasks that follow.

``LoginTask`` talks through the login's connection group (``SUPEROFFICE_LOGIN``),
whose client is a ``LoginClient``: the system user flow or the refresh-token
flow, chosen from the options. A login changes nothing the play manages, so
check mode logs in too (its exchanges only read) and the result is never
``changed``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.scriptbridge.core.plugins.module_utils.core.task import Task
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.connection import SUPEROFFICE_LOGIN


class LoginTask(Task):
    """Log in; the same in check mode, since a login changes nothing the play manages."""

    connection = SUPEROFFICE_LOGIN

    def execute(self):
        result = self.client.login()
        key = "access_token" if self.client.flow == "refresh_token" else "ticket"
        answer = dict((name, value) for name, value in (("url", result.url), ("tenant", result.tenant),
                                                        ("expires", result.expires),
                                                        ("refresh_token", result.refresh_token)) if value)
        answer.update({key: result.credential, "changed": False})
        return answer

    def predict(self):
        return self.execute()
