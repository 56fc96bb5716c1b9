-- Argo CD health of a Settlement: Settled is Healthy, Stalled is Degraded,
-- waiting for its period to end is Suspended (nothing to do yet), anything
-- else is on its way.
local settled, stalled
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Settled" then settled = c end
    if c.type == "Stalled" and c.status == "True" then stalled = c end
  end
end
if stalled ~= nil then
  return {status = "Degraded", message = stalled.message}
end
if settled ~= nil then
  if settled.status == "True" then
    return {status = "Healthy", message = settled.message}
  end
  if settled.reason == "PeriodOpen" then
    return {status = "Suspended", message = settled.message}
  end
  return {status = "Progressing", message = settled.message}
end
return {status = "Progressing", message = "waiting for the operator"}
