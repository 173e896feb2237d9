# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The Python libraries of the system user login, imported guarded.

``cryptography`` (keys, signatures) and ``PyJWT`` (token validation) are
needed only by the system user flow: the other flows work without them. Only
the code that needs one calls ``require()``, which raises
``MissingLibraryError`` naming the package; the base module turns it into
Ansible's own missing-library message.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import ScriptBridgeError

# The code that needs a library imports it from here, and calls require() before using it.
__all__ = ["CRYPTOGRAPHY_IMPORT_ERROR", "JWT_IMPORT_ERROR", "MissingLibraryError", "UnsupportedAlgorithm", "hashes", "jwt",
           "padding", "require", "rsa", "serialization", "x509"]

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
except ImportError:
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
    x509 = UnsupportedAlgorithm = hashes = serialization = padding = rsa = None
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None

try:
    import jwt
except ImportError:
    JWT_IMPORT_ERROR = traceback.format_exc()
    jwt = None
else:
    JWT_IMPORT_ERROR = None


class MissingLibraryError(ScriptBridgeError):
    """A Python package a flow needs is not installed where the module runs."""

    kind = "unsupported"

    def __init__(self, library, import_error):
        super(MissingLibraryError, self).__init__("The Python library %s is required." % library)
        self.library = library
        self.import_error = import_error


def require(*libraries):
    """Raise ``MissingLibraryError`` for the first of ``cryptography``, ``PyJWT`` that is missing."""
    errors = {"cryptography": CRYPTOGRAPHY_IMPORT_ERROR, "PyJWT": JWT_IMPORT_ERROR}
    for library in libraries:
        if errors[library]:
            raise MissingLibraryError(library, errors[library])
