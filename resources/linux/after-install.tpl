#!/bin/bash
# electron-builder's deb after-install, plus the hearth CLI on the PATH. ${executable} and ${sanitizedProductName}
# are filled in by electron-builder.

ln -sf '/opt/${sanitizedProductName}/${executable}' '/usr/bin/${executable}'
# The command line: /usr/bin/hearth runs the packaged engine through Electron acting as Node.
ln -sf '/opt/${sanitizedProductName}/bin/hearth' '/usr/bin/hearth'

# Chromium's sandbox helper needs SUID only where unprivileged user namespaces do not work.
if ! { [[ -L /proc/self/ns/user ]] && unshare --user true; }; then
    chmod 4755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
else
    chmod 0755 '/opt/${sanitizedProductName}/chrome-sandbox' || true
fi

if hash update-mime-database 2>/dev/null; then
    update-mime-database /usr/share/mime || true
fi
if hash update-desktop-database 2>/dev/null; then
    update-desktop-database /usr/share/applications || true
fi
