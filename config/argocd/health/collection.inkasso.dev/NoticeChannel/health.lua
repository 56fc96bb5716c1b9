-- Argo CD health of a NoticeChannel: Healthy once its channel controller
-- accepted it (Ready=True for the current generation).
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      if c.status == "True" and (obj.status.observedGeneration or 0) >= (obj.metadata.generation or 0) then
        return {status = "Healthy", message = c.message}
      end
      return {status = "Progressing", message = c.message}
    end
  end
end
return {status = "Progressing", message = "no channel controller has accepted this channel yet (is its controllerName served?)"}
