# -*- coding: utf-8 -*-
# Copyright: scriptbridge.core contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is for internal use by the scriptbridge.core collection only.
# It is not a public API and may change without notice.

"""The application's private key, the system user token signed with it, and pinned certificates.

The developer portal issues the key as RSA-XML (as .NET writes it) or PEM;
both are read here. ``sign_system_user_token`` is what
``PartnerSystemUser/Authenticate`` expects: the token, a UTC minute, and an RSA
PKCS#1 v1.5 SHA-256 signature of both. ``cryptography`` is required only when
a key is read (``libraries.require``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
from xml.etree import ElementTree

from ansible_collections.scriptbridge.core.plugins.module_utils.core.errors import OptionError
from ansible_collections.scriptbridge.core.plugins.module_utils.superoffice.online.libraries import (
    UnsupportedAlgorithm,
    hashes,
    padding,
    require,
    rsa,
    serialization,
    x509,
)

_XML_FIELDS = ("Modulus", "Exponent", "P", "Q", "DP", "DQ", "InverseQ", "D")


def _xml_integer(root, name):
    element = root.find(name)
    if element is None or not (element.text or "").strip():
        return None
    try:
        return int.from_bytes(base64.b64decode("".join(element.text.split()), validate=True), "big")
    except (binascii.Error, ValueError):
        raise OptionError("private_key: the RSA-XML element <%s> is not base64." % name)


def _rsa_xml_key(text):
    """A private key from SuperOffice's RSA-XML (``<RSAKeyValue><Modulus>...``), as .NET writes it."""
    if "<!" in text:
        raise OptionError("private_key: an RSA-XML key has no DOCTYPE or entity declarations.")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        raise OptionError("private_key looks like RSA-XML but is not well-formed XML: paste the whole "
                          "<RSAKeyValue>...</RSAKeyValue> as the developer portal gave it.")
    if root.tag != "RSAKeyValue":
        raise OptionError("private_key: the XML is a <%s>, not an <RSAKeyValue>." % root.tag)
    values = dict((name, _xml_integer(root, name)) for name in _XML_FIELDS)
    missing = [name for name in ("Modulus", "Exponent", "P", "Q", "D") if values[name] is None]
    if missing:
        raise OptionError("private_key: the RSA-XML has no %s, so it is a public key or incomplete: give the private "
                          "key the developer portal issued." % ", ".join(missing))
    p, q, d = values["P"], values["Q"], values["D"]
    numbers = rsa.RSAPrivateNumbers(
        p=p, q=q, d=d,
        dmp1=values["DP"] if values["DP"] is not None else rsa.rsa_crt_dmp1(d, p),
        dmq1=values["DQ"] if values["DQ"] is not None else rsa.rsa_crt_dmq1(d, q),
        iqmp=values["InverseQ"] if values["InverseQ"] is not None else rsa.rsa_crt_iqmp(p, q),
        public_numbers=rsa.RSAPublicNumbers(values["Exponent"], values["Modulus"]),
    )
    try:
        return numbers.private_key()
    except ValueError:
        raise OptionError("private_key: the numbers of the RSA-XML key do not form a valid RSA key.")


def load_private_key(text):
    """The application's RSA private key from RSA-XML or PEM text."""
    require("cryptography")
    text = (text or "").strip()
    if not text:
        raise OptionError("private_key is empty.")
    if text.startswith("<"):
        return _rsa_xml_key(text)
    if "-----BEGIN" not in text:
        raise OptionError("private_key is neither RSA-XML (<RSAKeyValue>...) nor PEM (-----BEGIN ... PRIVATE KEY-----).")
    try:
        key = serialization.load_pem_private_key(text.encode("utf-8"), password=None)
    except TypeError:
        raise OptionError("private_key is an encrypted PEM key: give it unencrypted (openssl rsa -in key.pem).")
    except (ValueError, UnsupportedAlgorithm):
        raise OptionError("private_key is not a readable PEM private key.")
    if not isinstance(key, rsa.RSAPrivateKey):
        raise OptionError("private_key is not an RSA key: SuperOffice signs system user tokens with RSA.")
    return key


def timestamp(now=None):
    """The UTC minute the signature vouches for: ``yyyyMMddHHmm``."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return now.astimezone(datetime.timezone.utc).strftime("%Y%m%d%H%M")


def sign_system_user_token(system_user_token, key, now=None):
    """``<token>.<yyyyMMddHHmm>.<base64 RSA PKCS#1 v1.5 SHA-256 signature of the first two>``."""
    signed = "%s.%s" % (system_user_token, timestamp(now))
    signature = key.sign(signed.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return "%s.%s" % (signed, base64.b64encode(signature).decode("ascii"))


def load_certificate_key(text):
    """The public key of a pinned certificate (PEM), e.g. SuperOfficeFederatedLogin.crt."""
    require("cryptography")
    try:
        return x509.load_pem_x509_certificate((text or "").strip().encode("utf-8")).public_key()
    except ValueError:
        raise OptionError("login_certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----): give the "
                          "environment's SuperOfficeFederatedLogin.crt in PEM form.")
