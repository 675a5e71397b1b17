-- wrk script: send DEPTH requests in one write on each connection and count them as DEPTH.
-- Usage: wrk -s pipeline.lua URL -- 16
local depth = 16

function init(args)
    depth = tonumber(args[1]) or depth
    -- The URL's own path (`/` for the hello runs).
    local one = wrk.format("GET")
    req = string.rep(one, depth)
end

function request()
    return req
end
