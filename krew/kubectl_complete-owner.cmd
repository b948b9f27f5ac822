@echo off
rem Completion shim for the kubectl-owner plugin on Windows (kubectl >= 1.26): for
rem `kubectl owner <TAB>` kubectl runs kubectl_complete-owner from PATH (PATHEXT finds .cmd).
kubectl-owner.exe __complete %*
