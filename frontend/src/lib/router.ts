/** Hash routing (`/#/channels/acme/general`): every path at the hub's root stays the API's. */
import { useEffect, useState } from "react";

export interface Route {
  view: string;
  rest: string;
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, "");
  const [view = "", ...rest] = path.split("/");
  return { view: view || "overview", rest: decodeURIComponent(rest.join("/")) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseHash(window.location.hash));
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}

export function href(view: string, rest?: string): string {
  return `#/${view}${rest ? `/${rest.split("/").map(encodeURIComponent).join("/")}` : ""}`;
}

export function navigate(view: string, rest?: string): void {
  window.location.hash = href(view, rest);
}
