-- Argo CD health of an inkasso-operator Debtor: kstatus conditions first
-- (Stalled, Reconciling, observedGeneration), then Ready and the phase.
local hs = {status = "Progressing", message = "waiting for the operator to handle the debtor"}
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
if obj.status.observedGeneration == nil or obj.status.observedGeneration < obj.metadata.generation then
  hs.message = "the operator has not handled the latest change yet"
  return hs
end
local ready = nil
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Stalled" and c.status == "True" then
    return {status = "Degraded", message = c.reason .. ": " .. c.message}
  end
  if c.type == "Reconciling" and c.status == "True" then
    return {status = "Progressing", message = c.reason .. ": " .. c.message}
  end
  if c.type == "Ready" then
    ready = c
  end
end
if ready == nil or ready.status ~= "True" then
  if ready ~= nil then hs.message = ready.message end
  return hs
end
local phase = obj.status.phase or ""
if phase == "Suspended" then
  return {status = "Suspended", message = ready.message}
end
if phase == "" then
  return {status = "Healthy", message = ready.message}
end
return {status = "Healthy", message = phase .. ": " .. ready.message}
