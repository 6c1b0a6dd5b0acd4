#!/bin/bash
# Removes what after-install linked.
rm -f '/usr/bin/${executable}' '/usr/bin/hearth'
