-- Argo CD health of a Notice: Sent is Healthy, Failed is Degraded, anything
-- else is on its way.
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      if c.status == "True" then
        return {status = "Healthy", message = c.message}
      end
      if c.reason == "Failed" then
        return {status = "Degraded", message = c.message}
      end
      return {status = "Progressing", message = c.message}
    end
  end
end
return {status = "Progressing", message = "waiting for the channel controller"}
